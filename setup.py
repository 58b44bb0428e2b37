"""One distribution shipping the engine core (bamboo_engine) and the Django runtime (pipeline)."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="bamboo-pipeline-ng",
    version="0.1.0",
    description="A general-purpose process engine for Python with a Django + Celery runtime",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["bamboo_engine", "bamboo_engine.*", "pipeline", "pipeline.*"]),
    include_package_data=True,
    package_data={
        "bamboo_engine": ["py.typed"],
        "pipeline": ["**/migrations/*.py", "**/templates/**/*", "**/static/**/*"],
    },
    install_requires=[
        "Django>=4.2,<6",
        "celery>=5.3,<6",
        "kombu>=5.3,<6",
        "Mako>=1.3,<2",
        "pyparsing>=3.0,<4",
        "prometheus-client>=0.17,<1",
        "django-celery-beat>=2.6,<3",
        # node timeouts / timer events keep their deadlines in Redis when the project configures REDIS
        # (as upstream does); upstream projects also import it themselves.
        "redis>=4.5,<9",
    ],
    extras_require={
        # mysqlclient for prefork-only deployments (BAMBOO_MYSQL_DRIVER=mysqlclient); the default driver is
        # PyMySQL, which cooperates with gevent (measured in docs/workers.md) and needs no C headers.
        "mysql": ["mysqlclient>=2.1,<3"],
        "gevent": ["gevent>=23.9", "PyMySQL>=1.1,<2"],
        # PostgreSQL through psycopg 3 and Django's own connection pool (OPTIONS["pool"] needs
        # psycopg_pool); psycopg waits on gevent's patched select, so it serves gevent workers as well
        # (docs/settings.md).
        "postgres": ["psycopg[binary,pool]>=3.1.12,<4"],
        "dev": [
            "pytest>=8,<9",
            "pytest-django>=4.8,<5",
            "pytest-timeout>=2.3,<3",
            "ruff==0.8.4",
            "mypy==1.20.2",
            "pre-commit>=3.5",
            "tox>=4",
            "PyMySQL>=1.1,<2",
            "psycopg[binary,pool]>=3.1.12,<4",
            "gevent>=23.9",
            # The console's browser test drives Debian's chromium through its chromedriver.
            "selenium>=4.20,<5",
            # The BPMN tests validate exports against the BPMN 2.0 XSD (tests/bpmn_schema/).
            "lxml>=5,<7",
        ],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3.11",
    ],
)
