"""Template rendering rules, references, containers, inertness, settings and render backends."""

import os
import signal
import threading

import pytest

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.template import Template, sandbox_imports
from bamboo_engine.template.render_backend import (
    InProcessRenderBackend,
    RenderBackend,
    SubprocessPoolRenderBackend,
    get_render_backend,
    reset_render_backend,
    set_render_backend,
)
from bamboo_engine.utils import mako_safety
from bamboo_engine.utils.collections import FancyDict

_SETTING_NAMES = (
    "MAKO_SANDBOX_SHIELD_WORDS",
    "MAKO_SANDBOX_IMPORT_MODULES",
    "MAKO_TEMPLATE_NAME_WHITELIST_MODE",
    "MAKO_TEMPLATE_NAME_EXTRA_WHITELIST",
    "ENABLE_RENDER_OBJ_BY_MAKO_STRING",
)


@pytest.fixture(autouse=True)
def restore_settings():
    saved = {name: getattr(Settings, name) for name in _SETTING_NAMES}
    yield
    for name, value in saved.items():
        setattr(Settings, name, value)
    reset_render_backend()


def render(data, **context):
    return Template(data).render(context)


# ------------------------------------------------------------------------------------- string rules


class TestSingleFragmentReturnsObject:
    @pytest.mark.parametrize("value", [1, 1.5, None, True, {"k": [1]}, [1, 2], ("t",), FancyDict(a=1)])
    def test_whole_string_reference_returns_the_context_object(self, value):
        assert render("${a}", a=value) is value

    def test_surrounding_text_renders_to_string(self):
        assert render("n=${a}", a=[1, 2]) == "n=[1, 2]"

    def test_expression_renders_to_string(self):
        assert render("${a + 1}", a=1) == "2"

    def test_spaced_reference_is_an_expression(self):
        assert render("${ a }", a=5) == "5"


class TestIndexedObjectRendering:
    def test_disabled_by_default_renders_text(self):
        assert render('${a["k"][0]}', a={"k": [{"x": 1}]}) == "{'x': 1}"

    def test_enabled_returns_nested_object(self):
        Settings.ENABLE_RENDER_OBJ_BY_MAKO_STRING = True
        nested = {"x": 1}
        assert render('${a["k"][0]}', a={"k": [nested]}) is nested
        assert render("${a['k'][1]}", a={"k": [0, nested]}) is nested

    def test_enabled_missing_key_stays_inert(self):
        Settings.ENABLE_RENDER_OBJ_BY_MAKO_STRING = True
        assert render('${a["missing"]}', a={"k": 1}) == '${a["missing"]}'

    def test_enabled_dunder_key_is_not_indexed(self):
        Settings.ENABLE_RENDER_OBJ_BY_MAKO_STRING = True
        assert render('${a["__class__"]}', a={"__class__": 1}) == '${a["__class__"]}'


class TestExpressions:
    @pytest.mark.parametrize(
        ("template", "expected"),
        [
            ("${a}-${b}", "1-x"),
            ('${d["k"]}', "v"),
            ("${b.upper()}", "X"),
            ("${int(s) * 2}", "42"),
            ('${",".join(l)}', "p,q"),
            ("${a if a > 0 else b}", "1"),
            ("${[i * 2 for i in range(3)]}", "[0, 2, 4]"),
            ("${sum(x for x in range(4))}", "6"),
            ("${dict((k, v) for k, v in d.items())}", "{'k': 'v'}"),
            ("${sorted(l, reverse=True)}", "['q', 'p']"),
            ("${(lambda x, y=2: x * y)(3)}", "6"),
            ("${max(l, key=lambda v: v)}", "q"),
            ("${l[-1]}${l[0:1]}", "q['p']"),
            ('${"%s=%d" % (b, a)}', "x=1"),
            ("${not a}", "False"),
            ("${a < 2 < 3}", "True"),
            ("${len(d) and b or 0}", "x"),
            ("${d.get('z', 'default')}", "default"),
            ("${_loop + 1}", "3"),
            ("${[*l, *l]}", "['p', 'q', 'p', 'q']"),
            ("${fd.name}", "fancy"),
            ("${s.zfill(4)}", "0021"),
            ("${abs(-2) + round(2.5) + pow(2, 3)}", "12"),
            ('${"-" * 3}${l * 2}', "---['p', 'q', 'p', 'q']"),
            ("${2 ** 70}", "1180591620717411303424"),
            ('${b.replace("x", "yz").center(5, ".")}', "..yz."),
            ('${",".join(str(i) for i in range(4))}', "0,1,2,3"),
            ('${"%05d|%-3s|" % (a, b)}', "00001|x  |"),
            ("${list(zip(l, range(2)))}", "[('p', 0), ('q', 1)]"),
            ("${[k for k, v in enumerate(l) if v == 'q']}", "[1]"),
            ("${len(list(range(10**5)))}", "100000"),
        ],
    )
    def test_expression(self, template, expected):
        context = {
            "a": 1,
            "b": "x",
            "s": "21",
            "d": {"k": "v"},
            "l": ["p", "q"],
            "_loop": 2,
            "fd": FancyDict(name="fancy"),
        }
        assert Template(template).render(context) == expected

    @pytest.mark.parametrize(
        ("template", "expected"),
        [
            ("${v | h}", "&lt;b&gt;&#34;"),
            ("${v | x}", "&lt;b&gt;&#34;"),
            ("${v | u}", "%3Cb%3E%22"),
            ("${w | trim}", "pad"),
            ("${e | entity}", "&eacute;"),
            ("${w | n}", "  pad "),
            ("${v | str}", '<b>"'),
            ("${v | unicode}", '<b>"'),
            ("${v | decode.utf8}", '<b>"'),
            ("${w | trim, h}", "pad"),
        ],
    )
    def test_mako_filters(self, template, expected):
        rendered = Template(template).render({"v": '<b>"', "w": "  pad ", "e": "é"})
        assert rendered.replace("&quot;", "&#34;") == expected

    def test_n_filter_on_non_string_stays_inert(self):
        assert render("${a | n}", a=1) == "${a | n}"

    def test_bitwise_or_inside_brackets_is_not_a_filter(self):
        assert render("${(a | 2)}", a=1) == "3"

    def test_multi_line_expression(self):
        assert render("${a +\n 1}", a=1) == "2"

    def test_each_fragment_rendered_once_and_not_rerendered(self):
        assert render("${a}${b}", a="${b}", b="x") == "${b}x"


class TestInertness:
    @pytest.mark.parametrize(
        "template",
        [
            "${missing}",
            "${a +}",
            "${1 / 0}",
            "${a.nope}",
            "${a | bogus}",
            "${int('x')}",
            "${(lambda: 1)(2)}",
        ],
    )
    def test_failing_fragment_is_left_as_is(self, template):
        assert render(f"pre {template} post", a=1) == f"pre {template} post"

    def test_good_fragments_render_next_to_bad_ones(self):
        assert render("${a} ${missing} ${a + 1}", a=1) == "1 ${missing} 2"

    def test_no_fragment_fast_path(self):
        assert render("plain $ { text } #", a=1) == "plain $ { text } #"

    def test_non_string_scalars_unchanged(self):
        for value in (1, None, 2.5, object):
            assert Template(value).render({}) is value


# ------------------------------------------------------------------------------------- containers


class TestContainers:
    def test_list_is_new_list(self):
        data = ["${a}", "x${a}"]
        result = Template(data).render({"a": 1})
        assert result == [1, "x1"] and result is not data and data == ["${a}", "x${a}"]

    def test_tuple_is_new_tuple(self):
        assert Template(("${a}", ["${a}"])).render({"a": 2}) == (2, [2])

    def test_dict_values_replaced_in_place(self):
        data = {"k": "${a}", "nested": {"n": ["${a}-"]}, "${a}": "key untouched"}
        result = Template(data).render({"a": 3})
        assert result is data
        assert data == {"k": 3, "nested": {"n": ["3-"]}, "${a}": "key untouched"}

    def test_other_types_returned_unchanged(self):
        marker = object()
        assert Template([marker, 5]).render({})[0] is marker


# ------------------------------------------------------------------------------------- references


class TestReferences:
    def test_get_templates_recurses(self):
        data = {"a": "${x} and ${y.upper()}", "b": ["${z}", ("${x}",)], "c": 1}
        assert Template(data).get_templates() == ["${x}", "${y.upper()}", "${z}", "${x}"]

    def test_fragment_regex_excludes_braces_dollar_and_hash(self):
        assert Template("${a#b} ${c{d} ${ok}").get_templates() == ["${ok}"]

    def test_references_formatted_and_deformatted(self):
        data = ["${a.upper()}", "${b + c}", "${int(d)}"]
        assert Template(data).get_reference() == {"${a}", "${b}", "${c}", "${d}", "${int}"}
        assert Template(data).get_reference(deformat=True) == {"a", "b", "c", "d", "int"}

    def test_lambda_and_comprehension_names_are_not_references(self):
        data = "${[x + y for x in l if x] + list(map(lambda q: q + z, m))}"
        assert Template(data).get_reference(deformat=True) == {"l", "y", "list", "map", "z", "m"}

    def test_filters_are_not_references(self):
        assert Template("${a | h, trim}").get_reference(deformat=True) == {"a"}

    def test_unparseable_fragment_has_no_references(self):
        assert Template("${a +} ${b}").get_reference(deformat=True) == {"b"}


# ------------------------------------------------------------------------------------- settings


class TestSettings:
    def test_enforce_refuses_non_whitelisted_builtin(self):
        assert render("${hex(a)}", a=255) == "${hex(a)}"

    def test_extra_whitelist_allows_name(self):
        Settings.MAKO_TEMPLATE_NAME_EXTRA_WHITELIST = frozenset({"hex"})
        assert render("${hex(a)}", a=255) == "0xff"

    def test_warn_mode_logs_and_renders(self, caplog):
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "warn"
        assert render("${hex(a)}", a=255) == "0xff"
        assert "hex" in caplog.text

    def test_off_mode_renders(self):
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "off"
        assert render("${oct(a)}", a=8) == "0o10"

    def test_unknown_mode_behaves_as_enforce(self):
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "bogus"
        assert render("${hex(a)}", a=255) == "${hex(a)}"

    def test_shield_words_are_none(self):
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "off"
        assert render("${repr}") == "None"
        Settings.MAKO_SANDBOX_SHIELD_WORDS = []
        assert render("${repr(a)}", a="q") == "'q'"

    def test_import_module_alias(self):
        Settings.MAKO_SANDBOX_IMPORT_MODULES = {"math": "math", "os.path": "path", "json": "lib.json"}
        assert render("${math.floor(2.7)}") == "2"
        assert render("${path.basename('/a/b.txt')}") == "b.txt"
        assert render("${lib.json.dumps([1])}") == "[1]"

    def test_denied_import_module_is_refused(self):
        Settings.MAKO_SANDBOX_IMPORT_MODULES = {"os": "os", "subprocess": "sp", "pickle": "pk", "_io": "io"}
        for template in ("${os.getcwd()}", "${sp.getoutput('id')}", "${pk.dumps(1)}", "${io}"):
            assert render(template) == template

    @pytest.mark.parametrize(
        ("module", "denied"),
        [
            ("os", True),
            ("sys", True),
            ("subprocess", True),
            ("pickle", True),
            ("operator", True),
            ("builtins", True),
            ("importlib.util", True),
            ("ctypes", True),
            ("socket", True),
            ("shutil", True),
            ("_pickle", True),
            ("os.path", False),
            ("math", False),
            ("datetime", False),
        ],
    )
    def test_module_deny_list(self, module, denied):
        assert sandbox_imports.is_denied_module(module) is denied

    def test_settings_read_at_call_time(self):
        template = Template("${hex(a)}")
        assert template.render({"a": 1}) == "${hex(a)}"
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "off"
        assert template.render({"a": 1}) == "0x1"

    def test_required_constants(self):
        assert "len" in mako_safety.SAFE_BUILTIN_NAMES and "eval" not in mako_safety.SAFE_BUILTIN_NAMES
        assert {"self", "context", "caller", "UNDEFINED"} <= mako_safety.MAKO_RESERVED_NAMESPACES
        assert {"system", "popen", "__builtins__"} <= mako_safety.DANGEROUS_ATTR_NAMES
        assert {"gi_frame", "f_globals", "tb_frame"} <= mako_safety.FRAME_INTROSPECTION_ATTRS
        assert {"format", "format_map"} <= mako_safety.FORBIDDEN_TEMPLATE_METHODS
        assert {"n", "h", "x", "u", "trim", "entity", "unicode", "str"} == mako_safety.SAFE_FILTERS


# ------------------------------------------------------------------------------------- backends


class _BrokenBackend(RenderBackend):
    def render_fragments(self, fragments, context):
        raise RenderInfrastructureError("backend down")


class TestBackendSelection:
    def test_default_is_in_process(self):
        assert isinstance(get_render_backend(), InProcessRenderBackend)

    def test_set_and_reset(self):
        broken = _BrokenBackend()
        set_render_backend(broken)
        assert get_render_backend() is broken
        reset_render_backend()
        assert isinstance(get_render_backend(), InProcessRenderBackend)

    def test_set_rejects_non_backend(self):
        with pytest.raises(TypeError):
            set_render_backend(object())

    def test_broken_backend_raises_infrastructure_error(self):
        set_render_backend(_BrokenBackend())
        with pytest.raises(RenderInfrastructureError, match="backend down"):
            render("x${a + 1}", a=1)

    def test_single_reference_and_plain_text_do_not_need_the_backend(self):
        set_render_backend(_BrokenBackend())
        assert render(["${a}", "plain"], a=1) == [1, "plain"]

    def test_backend_called_once_per_render_with_unique_fragments(self):
        calls = []

        class Recording(InProcessRenderBackend):
            def render_fragments(self, fragments, context):
                calls.append(list(fragments))
                return super().render_fragments(fragments, context)

        set_render_backend(Recording())
        assert render({"x": "${a + 1}", "y": ["${a + 1}!", "${b}?"]}, a=1, b=2) == {
            "x": "2",
            "y": ["2!", "2?"],
        }
        assert calls == [["${a + 1}", "${b}"]]


@pytest.fixture(scope="module")
def pool():
    backend = SubprocessPoolRenderBackend(processes=1, timeout=30, start_method="fork")
    yield backend
    backend.close()


class TestSubprocessPool:
    def test_renders_in_worker(self, pool):
        set_render_backend(pool)
        assert render("${a * 2}|${a | h}|${missing}", a="<") == "<<|&lt;|${missing}"
        assert pool.worker_pids() and os.getpid() not in pool.worker_pids()

    def test_worker_sees_current_settings(self, pool):
        set_render_backend(pool)
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "off"
        assert render("${hex(a)}", a=16) == "0x10"

    def test_unpicklable_context_value_raises(self, pool):
        set_render_backend(pool)
        with pytest.raises(RenderInfrastructureError, match="'lock'"):
            render("${lock} x", lock=threading.Lock())

    def test_dead_worker_raises_then_recovers(self, pool):
        set_render_backend(pool)
        render("${a}!", a=1)
        for pid in pool.worker_pids():
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(RenderInfrastructureError):
            render("${a}!", a=1)
        assert render("${a}!", a=1) == "1!"

    def test_timeout_raises_and_replaces_worker(self):
        backend = SubprocessPoolRenderBackend(processes=1, timeout=0.5, start_method="fork")
        try:
            assert backend.render_fragments(["${1}"], {}) == ["1"]
            (pid,) = backend.worker_pids()
            os.kill(pid, signal.SIGSTOP)
            with pytest.raises(RenderInfrastructureError, match="did not answer"):
                backend.render_fragments(["${1}"], {})
            assert backend.worker_pids() == []
            assert backend.render_fragments(["${2}"], {}) == ["2"]
        finally:
            backend.close()

    def test_spawn_start_method_works(self):
        backend = SubprocessPoolRenderBackend(processes=1, timeout=60)
        try:
            assert backend.render_fragments(["${a + 1}", "${a.__class__}"], {"a": 1}) == ["2", None]
        finally:
            backend.close()

    def test_bad_start_method_raises_infrastructure_error(self):
        backend = SubprocessPoolRenderBackend(start_method="nope")
        with pytest.raises(RenderInfrastructureError, match="cannot start"):
            backend.render_fragments(["${1}"], {})
