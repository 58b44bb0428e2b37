"""The Redis client of the ``REDIS`` setting, and where a project finds it.

Upstream projects read the client as ``settings.redis_inst`` (or ``settings.REDIS_INST``): the
``pipeline`` app builds it from ``REDIS`` when Django starts (:func:`expose_redis_client`) unless the
project set one of them itself. ``REDIS`` keys:

* ``mode``: ``"single"`` (default), ``"replication"`` (Sentinel) or ``"cluster"``;
* ``host``, ``port``: the server; with Sentinel, comma-separated lists of the sentinels
  (``"10.0.0.1,10.0.0.2"`` / ``"26379,26379"``);
* ``password``, ``db`` (single and Sentinel); ``sentinel_password`` and ``service_name`` (Sentinel,
  default ``"mymaster"``);
* single mode over TLS: ``ssl_ca_certs`` or ``ssl_certfile`` turns TLS on (the server certificate and
  host name are checked unless ``ssl_cert_reqs`` / ``ssl_check_hostname`` say otherwise);
  ``ssl_keyfile`` goes with ``ssl_certfile``.
"""

import logging
from typing import Any, Dict, List, Tuple

logger = logging.getLogger(__name__)

MODES = ("single", "replication", "cluster")
_SSL_OVERRIDES = ("ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname")


def build_redis_client(config: Dict[str, Any]) -> Any:
    """A client for ``config`` (the ``REDIS`` setting).

    Raises:
        ValueError: ``mode`` is not one of :data:`MODES`, or ``host``/``port`` is missing.
    """
    mode = config.get("mode") or "single"
    if mode not in MODES:
        raise ValueError(f"REDIS['mode'] must be one of {', '.join(MODES)}, got {mode!r}")
    for key in ("host", "port"):
        if not config.get(key):
            raise ValueError(f"REDIS[{key!r}] is required (mode {mode!r})")
    if mode == "replication":
        return _sentinel_client(config)
    if mode == "cluster":
        return _cluster_client(config)
    return _single_client(config)


def _single_client(config: Dict[str, Any]) -> Any:
    import redis

    kwargs: Dict[str, Any] = {"host": config["host"], "port": int(config["port"])}
    if "password" in config:
        kwargs["password"] = config["password"]
    if "db" in config:
        kwargs["db"] = int(config["db"])
    if config.get("ssl_ca_certs") or config.get("ssl_certfile"):
        kwargs.update(ssl=True, ssl_cert_reqs="required", ssl_check_hostname=True)
        for key in ("ssl_ca_certs", *_SSL_OVERRIDES):
            if config.get(key) is not None:
                kwargs[key] = config[key]
    return redis.Redis(**kwargs)


def _sentinel_addresses(config: Dict[str, Any]) -> List[Tuple[str, int]]:
    hosts = [host.strip() for host in str(config["host"]).split(",")]
    ports = [int(port.strip()) for port in str(config["port"]).split(",")]
    if len(ports) == 1:
        ports = ports * len(hosts)
    if len(ports) != len(hosts):
        raise ValueError(f"REDIS: {len(hosts)} sentinel hosts but {len(ports)} ports")
    return list(zip(hosts, ports, strict=False))


def _sentinel_client(config: Dict[str, Any]) -> Any:
    from redis.sentinel import Sentinel

    sentinel_kwargs = {}
    if config.get("sentinel_password"):
        sentinel_kwargs["password"] = config["sentinel_password"]
    kwargs: Dict[str, Any] = {"sentinel_kwargs": sentinel_kwargs}
    if "password" in config:
        kwargs["password"] = config["password"]
    if "db" in config:
        kwargs["db"] = int(config["db"])
    sentinel = Sentinel(_sentinel_addresses(config), **kwargs)
    return sentinel.master_for(config.get("service_name") or "mymaster")


def _cluster_client(config: Dict[str, Any]) -> Any:
    from redis.cluster import ClusterNode, RedisCluster

    kwargs: Dict[str, Any] = {"startup_nodes": [ClusterNode(config["host"], int(config["port"]))]}
    if "password" in config:
        kwargs["password"] = config["password"]
    return RedisCluster(**kwargs)


def expose_redis_client() -> Any:
    """Set ``settings.redis_inst`` and ``settings.REDIS_INST`` from ``REDIS``; returns the client.

    A project that set either attribute itself keeps its client (the other name gets the same one).
    Without ``REDIS`` nothing is set and None is returned. A client that can not be built (a cluster
    that does not answer, a bad ``REDIS``) is logged as an error and left unset, as upstream does: the
    features using Redis then fall back to the database.
    """
    from django.conf import settings

    client = getattr(settings, "redis_inst", None) or getattr(settings, "REDIS_INST", None)
    if client is None:
        config = getattr(settings, "REDIS", None)
        if not config:
            return None
        try:
            client = build_redis_client(config)
        except Exception:
            logger.exception("REDIS: could not build the Redis client; features using it fall back")
            return None
    settings.redis_inst = client
    settings.REDIS_INST = client
    return client
