"""Django settings of the admin tests.

Builds on the shared ``tests.django_settings`` when it exists (so the whole suite can share one Django
setup) and adds what the admin needs: its apps, middleware, templates and a URLconf.
"""

try:
    from tests.django_settings import *  # noqa: F403
except ImportError:
    SECRET_KEY = "admin-tests-only"
    USE_TZ = True
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    INSTALLED_APPS = ["pipeline.eri"]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

ADMIN_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Their admins live next to the runtime's; listing them also lets the component tests share this
    # setup when the admin tests configure Django first in a whole-suite run.
    "pipeline",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.contrib.engine_admin",
]
INSTALLED_APPS = list(INSTALLED_APPS) + [app for app in ADMIN_APPS if app not in INSTALLED_APPS]

ADMIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
MIDDLEWARE = list(globals().get("MIDDLEWARE", [])) + [
    item for item in ADMIN_MIDDLEWARE if item not in globals().get("MIDDLEWARE", [])
]

if not globals().get("TEMPLATES"):
    TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ]

ROOT_URLCONF = "tests.admin.urls"
