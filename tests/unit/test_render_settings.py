"""The ``MAKO_RENDER_*`` engine settings and the isolation of render workers they ask for."""

import multiprocessing
import os
import resource
import socket
import threading

import pytest

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.exceptions import ValueError as EngineValueError
from bamboo_engine.template import Template
from bamboo_engine.template.render_backend import (
    InProcessRenderBackend,
    SubprocessPoolRenderBackend,
    WorkerIsolation,
    _apply_limits,
    _leave_network,
    _scrub_environment,
    get_render_backend,
    render_backend_from_settings,
    reset_render_backend,
)
from bamboo_engine.template.render_settings import (
    DEFAULT_ENV_SCRUB,
    SETTING_NAMES,
    read_render_settings,
)


@pytest.fixture(autouse=True)
def render_settings():
    """Restore the engine's ``MAKO_RENDER_*`` settings and the render backend after each test."""
    saved = {name: getattr(Settings, name) for name in SETTING_NAMES}
    yield Settings
    for name, value in saved.items():
        setattr(Settings, name, value)
    backend = get_render_backend()
    reset_render_backend()
    backend.close()


def test_default_is_the_in_process_backend(render_settings):
    assert isinstance(render_backend_from_settings(), InProcessRenderBackend)


def test_subprocess_backend_gets_every_setting(render_settings):
    render_settings.MAKO_RENDER_BACKEND = "subprocess"
    render_settings.MAKO_RENDER_POOL_SIZE = 3
    render_settings.MAKO_RENDER_TIMEOUT = 12
    render_settings.MAKO_RENDER_MAX_USES = 7
    render_settings.MAKO_RENDER_RLIMIT_CPU = 5
    render_settings.MAKO_RENDER_RLIMIT_AS_MB = 512
    render_settings.MAKO_RENDER_NO_NETWORK = False
    render_settings.MAKO_RENDER_ENV_SCRUB_EXTRA = ["ACME_"]
    render_settings.MAKO_RENDER_FALLBACK_INPROCESS = True

    backend = render_backend_from_settings()

    assert isinstance(backend, SubprocessPoolRenderBackend)
    assert (backend.processes, backend.timeout, backend.max_uses, backend.start_method) == (
        3,
        12.0,
        7,
        "spawn",
    )
    assert backend.isolation == WorkerIsolation(
        memory_limit_mb=512, cpu_limit_s=5, env_scrub=DEFAULT_ENV_SCRUB + ("ACME_",), no_network=False
    )
    assert backend.fallback_inprocess is True


def test_subprocess_defaults_harden_the_workers(render_settings):
    render_settings.MAKO_RENDER_BACKEND = "subprocess"

    backend = render_backend_from_settings()

    assert (backend.processes, backend.timeout, backend.max_uses, backend.fallback_inprocess) == (
        4,
        30.0,
        500,
        False,
    )
    assert backend.isolation == WorkerIsolation(1024, 30, DEFAULT_ENV_SCRUB, True)


def test_os_harden_off_drops_the_resource_limits(render_settings):
    render_settings.MAKO_RENDER_BACKEND = "subprocess"
    render_settings.MAKO_RENDER_OS_HARDEN = False

    isolation = render_backend_from_settings().isolation

    assert (isolation.memory_limit_mb, isolation.cpu_limit_s, isolation.no_network) == (None, None, True)


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("MAKO_RENDER_BACKEND", "wasm", "'inprocess' or 'subprocess'"),
        ("MAKO_RENDER_POOL_SIZE", 0, "an int of at least 1"),
        ("MAKO_RENDER_POOL_SIZE", "4", "an int of at least 1"),
        ("MAKO_RENDER_MAX_USES", True, "an int of at least 1"),
        ("MAKO_RENDER_TIMEOUT", -1, "a positive number of seconds"),
        ("MAKO_RENDER_RLIMIT_CPU", -5, "an int of at least 1"),
        ("MAKO_RENDER_RLIMIT_AS_MB", 1.5, "an int of at least 1"),
        ("MAKO_RENDER_OS_HARDEN", "yes", "True or False"),
        ("MAKO_RENDER_NO_NETWORK", 1, "True or False"),
        ("MAKO_RENDER_FALLBACK_INPROCESS", None, "True or False"),
        ("MAKO_RENDER_ENV_SCRUB_EXTRA", "TOKEN", "a list of strings"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_setting(render_settings, name, value, expected):
    setattr(render_settings, name, value)

    with pytest.raises(EngineValueError, match=f"^{name} must be {expected}, got {value!r}$"):
        read_render_settings()


def test_zero_limits_mean_unlimited(render_settings):
    render_settings.MAKO_RENDER_RLIMIT_CPU = 0
    render_settings.MAKO_RENDER_RLIMIT_AS_MB = None

    values = read_render_settings()

    assert (values["MAKO_RENDER_RLIMIT_CPU"], values["MAKO_RENDER_RLIMIT_AS_MB"]) == (None, None)


def test_templates_render_with_the_backend_the_settings_name(render_settings):
    render_settings.MAKO_RENDER_BACKEND = "subprocess"
    render_settings.MAKO_RENDER_POOL_SIZE = 1
    render_settings.MAKO_RENDER_NO_NETWORK = False  # needs privileges or user namespaces: tested below
    reset_render_backend()

    assert Template("${a * 2}").render({"a": 21}) == "42"
    backend = get_render_backend()
    assert isinstance(backend, SubprocessPoolRenderBackend) and backend.worker_pids()
    assert os.getpid() not in backend.worker_pids()


def test_invalid_settings_fail_the_render_naming_the_setting(render_settings):
    render_settings.MAKO_RENDER_BACKEND = "wasm"
    reset_render_backend()

    with pytest.raises(RenderInfrastructureError, match="MAKO_RENDER_BACKEND must be"):
        Template("${a}!").render({"a": 1})


# --- worker isolation ---------------------------------------------------------------------------


def _fork_pool(**options) -> SubprocessPoolRenderBackend:
    return SubprocessPoolRenderBackend(processes=1, timeout=30, start_method="fork", **options)


def test_a_worker_is_replaced_after_max_uses():
    backend = _fork_pool(max_uses=2)
    try:
        pids = []
        for value in range(3):
            assert backend.render_fragments(["${a}"], {"a": value}) == [str(value)]
            pids.append(tuple(backend.worker_pids()))
    finally:
        backend.close()

    # Served twice, the first worker is stopped; the third render starts another one.
    assert (len(pids[0]), pids[1], len(pids[2])) == (1, (), 1)
    assert pids[0] != pids[2]


def test_a_context_that_can_not_be_sent_renders_here_with_fallback_inprocess():
    strict, lenient = _fork_pool(), _fork_pool(fallback_inprocess=True)
    context = {"lock": threading.Lock(), "a": 2}
    try:
        with pytest.raises(RenderInfrastructureError, match="'lock'"):
            strict.render_fragments(["${a * 3}", "${lock is None}"], context)
        assert lenient.render_fragments(["${a * 3}", "${lock is None}"], context) == ["6", "False"]
        assert lenient.worker_pids() == []
    finally:
        strict.close()
        lenient.close()


def test_env_scrub_drops_matching_variables_in_any_case(monkeypatch):
    monkeypatch.setenv("APP_DB_PASSWORD", "hunter2")
    monkeypatch.setenv("acme_token_x", "t")
    monkeypatch.setenv("APP_LANGUAGE", "en")

    _scrub_environment(["password", "TOKEN", ""])

    assert ("APP_DB_PASSWORD" in os.environ, "acme_token_x" in os.environ, os.environ["APP_LANGUAGE"]) == (
        False,
        False,
        "en",
    )


def _in_forked_child(target, *args):
    """Run ``target(queue, *args)`` in a forked child; returns what it put on the queue."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=target, args=(results, *args))
    child.start()
    try:
        return results.get(timeout=30)
    finally:
        child.join(timeout=30)


def _report_limits(results, isolation):
    _apply_limits(isolation)
    results.put((resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_AS)))


def test_resource_limits_are_set_in_the_worker():
    cpu, address_space = _in_forked_child(
        _report_limits, WorkerIsolation(memory_limit_mb=2048, cpu_limit_s=7)
    )

    assert (cpu, address_space) == ((7, 7), (2048 * 1024 * 1024, 2048 * 1024 * 1024))


def _try_to_connect(results, port):
    try:
        _leave_network()
    except OSError as err:
        results.put(f"refused: {err}")
        return
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        results.put("connected")
    except OSError:
        results.put("unreachable")


def test_no_network_leaves_the_network_or_refuses():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        outcome = _in_forked_child(_try_to_connect, server.getsockname()[1])

    # Fail closed either way: a worker that could not leave the network is never used.
    assert outcome == "unreachable" or outcome.startswith("refused: "), outcome


def test_a_worker_that_can_not_isolate_itself_refuses_every_render(monkeypatch):
    def no_namespaces():
        raise OSError(1, "unshare(CLONE_NEWNET) failed: Operation not permitted")

    monkeypatch.setattr("bamboo_engine.template.render_backend._leave_network", no_namespaces)
    backend = _fork_pool(no_network=True)
    try:
        with pytest.raises(RenderInfrastructureError, match="could not leave the network .no_network."):
            backend.render_fragments(["${a}"], {"a": 1})
    finally:
        backend.close()
