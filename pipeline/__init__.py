"""pipeline: the Django app that runs bamboo_engine on the ORM and Celery."""
