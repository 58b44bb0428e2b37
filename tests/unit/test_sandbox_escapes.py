"""Known sandbox escape techniques: each must stay inert text and cause no side effect.

Every technique runs twice: with the default settings (whitelist enforced, shield words bound to None)
and with everything permissive (whitelist off, no shield words), so the evaluator itself - not just the
name whitelist - is shown to hold. Side effects checked after each render: the canary file was not
created, the module secret did not leak, no module was imported, and the context data is unchanged.
"""

import copy
import string
import sys
import types

import pytest

from bamboo_engine.config import Settings
from bamboo_engine.template import Template
from bamboo_engine.template.fragment import RefusedFragment, compile_fragment
from bamboo_engine.template.render_backend import reset_render_backend

SECRET = "s3cr3t-7f1e9c"

_SETTING_NAMES = (
    "MAKO_SANDBOX_SHIELD_WORDS",
    "MAKO_SANDBOX_IMPORT_MODULES",
    "MAKO_TEMPLATE_NAME_WHITELIST_MODE",
    "MAKO_TEMPLATE_NAME_EXTRA_WHITELIST",
)


def helper_function():
    """A context value whose ``__globals__`` would expose SECRET."""
    return SECRET


def _generator():
    yield SECRET


def _traceback():
    try:
        raise RuntimeError(SECRET)
    except RuntimeError as err:
        return err


# (id, template) - "{canary}" is replaced with the canary file path before rendering.
ESCAPES = [
    ("dunder_mro_subclasses", "${''.__class__.__mro__[1].__subclasses__()}"),
    ("tuple_class_bases", "${().__class__.__bases__[0].__subclasses__()}"),
    ("init_globals", "${x.__init__.__globals__}"),
    ("function_globals_secret", '${f.__globals__["SECRET"]}'),
    ("builtins_name", '${__builtins__["open"]("{canary}", "w")}'),
    ("function_code", "${f.__code__.co_consts}"),
    ("type_of_value", "${type(x)}"),
    ("type_three_args", '${type("X", (), dict(a=1))}'),
    ("generator_frame_globals", "${(i for i in l).gi_frame.f_globals}"),
    ("generator_code", "${gen.gi_code}"),
    ("frame_back", "${gen.gi_frame.f_back}"),
    ("traceback_frame", "${exc.__traceback__.tb_frame.f_globals}"),
    ("traceback_object_frame", "${tb.tb_frame}"),
    ("str_format_attribute", '${"{0.__class__}".format(x)}'),
    ("str_format_globals", '${"{0.__globals__[SECRET]}".format(f)}'),
    ("format_via_context_template", "${tpl.format(f)}"),
    ("format_map_via_context_template", "${tpl.format_map(d)}"),
    ("format_map", '${"{x.__class__}".format_map(d)}'),
    ("format_via_variable", "${fmt(f)}"),
    ("format_via_formatter", "${formatter(tpl, f)}"),
    ("str_type_format", "${str.format(tpl, f)}"),
    ("format_as_sort_key", "${sorted([f], key=fmt)}"),
    ("open_as_sort_key", "${max([canary], key=opener)}"),
    ("open_as_sort_key_via_object", "${min([canary], key=obj.opener)}"),
    ("format_builtin", '${format(x, "")}'),
    ("mako_code_block", '<% open("{canary}", "w") %>'),
    ("mako_module_block", '<%! import os; os.system("touch {canary}") %>'),
    ("mako_namespace_tag", '<%namespace name="o" module="os"/>${o.system("touch {canary}")}'),
    ("mako_include_passwd", '<%include file="/etc/passwd"/>'),
    ("mako_inherit", '<%inherit file="/etc/passwd"/>'),
    ("mako_def_call", '<%def name="z()">${open("{canary}", "w")}</%def>${z()}'),
    ("self_namespace", "${self.module}"),
    ("context_namespace", "${context.kwargs}"),
    ("context_private", "${context._data}"),
    ("caller_namespace", "${caller.body()}"),
    ("local_namespace", "${local.template.module}"),
    ("undefined_object", "${UNDEFINED.__class__}"),
    ("parent_next_pageargs", "${parent}${next}${pageargs}${STOP_RENDERING}"),
    ("getattr_concatenation", '${getattr(x, "__cl" + "ass__")}'),
    ("getattr_join", '${getattr(x, "".join(["__cl", "ass__"]))}'),
    ("getattr_chr_codes", "${getattr(x, chr(95) * 2 + 'class' + chr(95) * 2)}"),
    ("eval_import", """${eval("__import__('os').system('touch {canary}')")}"""),
    ("exec_open", """${exec("open('{canary}', 'w')")}"""),
    ("compile_code", """${compile("open('{canary}', 'w')", "t", "exec")}"""),
    ("open_passwd", '${open("/etc/passwd").read()}'),
    ("open_write", '${open("{canary}", "w")}'),
    ("dunder_import", '${__import__("os").system("touch {canary}")}'),
    ("vars_call", "${vars()}"),
    ("globals_call", "${globals()}"),
    ("locals_call", "${locals()}"),
    ("dir_call", "${dir(x)}"),
    ("lambda_default_globals", "${(lambda g=globals: g())()}"),
    ("lambda_default_dunder", "${(lambda c=x.__class__: c)()}"),
    ("lambda_own_globals", "${(lambda: 0).__globals__}"),
    ("lambda_private_slot", "${(lambda: 0)._scope}"),
    ("comprehension_subclasses", "${[c for c in ().__class__.__base__.__subclasses__()]}"),
    ("walrus", '${(y := open("{canary}", "w"))}'),
    ("injected_os_system", '${os.system("touch {canary}")}'),
    ("injected_subprocess", '${subprocess.getoutput("touch {canary}")}'),
    ("os_path_reaches_os", '${path.os.system("touch {canary}")}'),
    ("os_path_reaches_module", "${path.genericpath.os}"),
    ("json_reaches_codecs_open", '${json.codecs.open("{canary}", "w")}'),
    ("object_holds_module", '${obj.mod.system("touch {canary}")}'),
    ("object_holds_open", '${obj.opener("{canary}", "w")}'),
    ("context_value_is_module", "${m.getcwd()}"),
    ("context_value_is_open", '${opener("{canary}", "w")}'),
    ("filter_injection", "${x | eval}"),
    ("filter_dunder_codec", "${x | decode.__class__}"),
    ("filter_module_call", '${x | os.system("touch {canary}")}'),
    ("unicode_lookalike_attribute", "${x._＿class＿＿}"),
    ("unicode_lookalike_name", '${＿_import__("os")}'),
    ("unicode_math_letters", "${gen.𝗀i_frame}"),
    ("subscript_dunder_key", '${d["__class__"]}'),
    ("subscript_dunder_bytes_key", '${d[b"__class__"]}'),
    ("keyword_dunder", "${dict(__class__=1)}"),
    ("builtin_type_mro", "${str.mro()}"),
    ("builtin_type_attribute", "${dict.fromkeys(l)}"),
    ("private_attribute", "${obj._hidden}"),
    ("object_dict", "${obj.__dict__}"),
    ("reduce_ex", "${x.__reduce_ex__(2)}"),
    ("method_self", "${len.__self__}"),
    ("sys_modules", "${sys.modules}"),
    ("starred_environ", "${[*obj.mod.environ]}"),
    ("list_mutation", "${l.append(99)}"),
    ("dict_mutation", "${d.update(k=SECRET)}"),
    ("dict_clear", "${d.clear()}"),
    ("dos_repetition", '${"a" * 10**9}'),
    ("dos_nested_repetition", "${[[0] * 1000] * 1000}"),
    ("dos_pow", "${10**10**10}"),
    ("dos_pow_builtin", "${pow(10, 10**10)}"),
    ("dos_shift", "${1 << 10**10}"),
    ("dos_range_sum", "${sum(range(10**12))}"),
    ("dos_range_list", "${list(range(10**12))}"),
    ("dos_center", "${x.center(10**10)}"),
    ("dos_percent_width", '${"%999999999s" % x}'),
    ("dos_replace_chain", '${x.replace("a", x * 5000).replace("a", x * 5000)}'),
    ("dos_join", '${"".join([x * 100000] * 100)}'),
    ("dos_shared_comprehension", "${[l * 100000 for i in range(1000)]}"),
    ("dos_round_digits", "${round(5, -10**9)}"),
    ("dos_sum_lists", "${sum([[0] * 1000] * 1000, [])}"),
    ("lambda_self_application", "${(lambda f: f(f))(lambda f: f(f))}"),
    ("lambda_deep_recursion", "${(lambda f: f(f, 10**6))(lambda g, k: k and g(g, k - 1))}"),
    ("lambda_busy_loop", "${[(lambda: [0 for i in range(10**6)])() for j in range(10**6)]}"),
    ("nested_parentheses", "${" + "(" * 500 + "1" + ")" * 500 + "}"),
    ("long_operator_chain", "${" + "+".join(["n"] * 3000) + "}"),
]


@pytest.fixture(params=["enforce", "permissive"])
def sandbox_mode(request):
    saved = {name: getattr(Settings, name) for name in _SETTING_NAMES}
    Settings.MAKO_SANDBOX_IMPORT_MODULES = {
        "os": "os",
        "subprocess": "subprocess",
        "os.path": "path",
        "json": "json",
    }
    if request.param == "permissive":
        Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE = "off"
        Settings.MAKO_SANDBOX_SHIELD_WORDS = []
    # Injected modules are imported on first use; do it now so the per-test import check is exact.
    assert Template("${n + 1}").render({"n": 1}) == "2"
    yield request.param
    for name, value in saved.items():
        setattr(Settings, name, value)
    reset_render_backend()


def _context(canary_path):
    import os

    return {
        "canary": str(canary_path),
        "m": os,
        "x": "abc",
        "n": 1,
        "l": [1, 2],
        "d": {"k": "v"},
        "f": helper_function,
        "gen": _generator(),
        "exc": _traceback(),
        "tb": _traceback().__traceback__,
        "fmt": "{0.__globals__}".format,
        "tpl": "{0.__globals__}",
        "formatter": string.Formatter().format,
        "opener": open,
        "obj": types.SimpleNamespace(mod=os, opener=open, _hidden=SECRET),
    }


@pytest.mark.parametrize(("technique", "template"), ESCAPES, ids=[technique for technique, _ in ESCAPES])
def test_escape_stays_inert_without_side_effects(sandbox_mode, tmp_path, technique, template):
    canary = tmp_path / "canary"
    text = template.replace("{canary}", str(canary))
    context = _context(canary)
    data_before = copy.deepcopy({"l": context["l"], "d": context["d"]})
    modules_before = set(sys.modules)

    rendered = Template(text).render(context)

    assert rendered == text
    assert not canary.exists()
    assert SECRET not in str(rendered)
    assert set(sys.modules) == modules_before
    assert data_before == {"l": context["l"], "d": context["d"]}


@pytest.mark.parametrize(
    "fragment",
    [
        "${''.__class__}",
        "${x.gi_frame}",
        "${x.f_globals}",
        "${self}",
        "${context}",
        "${caller}",
        "${x.format(1)}",
        "${x.format_map(d)}",
        "${x.system}",
        "${x._private}",
        "${(y := 1)}",
        "${x | bogus}",
        "${x._＿class＿＿}",
    ],
)
def test_statically_refused_before_evaluation(fragment):
    assert isinstance(compile_fragment(fragment), RefusedFragment)


def test_payload_with_template_syntax_is_not_rendered_twice(tmp_path, sandbox_mode):
    canary = tmp_path / "canary"
    payload = f'${{open("{canary}", "w")}}'
    assert Template("${p | n}").render({"p": payload}) == payload
    assert Template("${p}!").render({"p": payload}) == payload + "!"
    assert not canary.exists()


def test_mako_tags_outside_fragments_stay_text(tmp_path, sandbox_mode):
    canary = tmp_path / "canary"
    text = f'<% import os; open("{canary}", "w") %>${{n + 1}}<%include file="/etc/passwd"/>'
    assert Template(text).render({"n": 1}) == text.replace("${n + 1}", "2")
    assert not canary.exists()


def test_normal_templates_still_work_in_both_modes(sandbox_mode):
    context = {"a": 2, "s": "x", "l": ["p", "q"], "d": {"k": 1}}
    data = ["${a + 1}", "${s.upper()}", '${",".join(l)}', '${d["k"]}', "${[i for i in l if i != 'p']}"]
    assert Template(data).render(context) == ["3", "X", "p,q", "1", "['q']"]
