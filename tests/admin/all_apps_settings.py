"""Settings listing every app a project may put in INSTALLED_APPS."""

SECRET_KEY = "all-apps-check-only"
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PIPELINE_APPS = [
    "pipeline",
    "pipeline.eri",
    "pipeline.engine",
    "pipeline.log",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.django_signal_valve",
    "pipeline.contrib.node_timeout",
    "pipeline.contrib.node_timer_event",
    "pipeline.contrib.rollback",
    "pipeline.contrib.plugin_execute",
    "pipeline.contrib.periodic_task",
    "pipeline.contrib.engine_admin",
]
# A dependency of the runtime (periodic tasks), listed by the same settings files.
THIRD_PARTY_APPS = ["django_celery_beat"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    *PIPELINE_APPS,
    *THIRD_PARTY_APPS,
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
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
