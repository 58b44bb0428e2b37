"""A stand-in for Django's MySQL backend on mysqlclient, which is not installed here (it needs C headers).

``ENGINE = "tests.django.mysqlclient_engine"``: the database checks read only the wrapper's ``vendor``
and the name of its driver module, which mysqlclient calls ``MySQLdb`` (PyMySQL's stand-in is
``pymysql``). Nothing connects through it.
"""

import types

from django.db.backends.base.base import BaseDatabaseWrapper


class DatabaseWrapper(BaseDatabaseWrapper):
    vendor = "mysql"
    Database = types.ModuleType("MySQLdb")
