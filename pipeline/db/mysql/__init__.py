"""Django's MySQL/MariaDB backend with a process-wide connection pool (see :mod:`.base`)."""
