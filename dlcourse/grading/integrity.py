"""Integrity scan: answer cells that reach for the grader instead of answering.

It flags, with the offending line, answer code that imports or patches course modules,
patches NumPy, builtins, ``sys.modules`` or IPython, defines objects with tricked
comparisons, reads files outside its folder, opens sockets, starts processes or signals
them. A flag asks an instructor to look; with the ``zero`` policy the task scores 0.
The scan reads code and never runs it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dlcourse.grading.submissions import grade_id, is_answer

POLICIES = ("flag", "zero")
COURSE_MODULES = ("answer_key", "dlcourse")
RISKY_MODULES = {
    "builtins": "the builtins", "importlib": "the import system", "ctypes": "raw memory",
    "gc": "the garbage collector", "inspect": "other code's frames", "subprocess": "processes",
    "multiprocessing": "processes", "socket": "the network", "ssl": "the network",
    "urllib": "the network", "http": "the network", "requests": "the network",
    "signal": "signals", "threading": "threads", "_thread": "threads", "pty": "terminals",
}
RISKY_NAMES = {
    "exec": "runs code from a string", "eval": "runs code from a string",
    "compile": "compiles code from a string", "__import__": "imports by name",
    "globals": "reaches the notebook's namespace", "vars": "reaches an object's namespace",
    "setattr": "changes attributes by name", "delattr": "deletes attributes by name",
    "get_ipython": "reaches IPython itself", "__builtins__": "reaches the builtins",
    "breakpoint": "starts a debugger", "check": "uses the check module",
}
RISKY_ATTRIBUTES = {
    "__dict__": "an object's namespace", "__globals__": "a function's namespace",
    "__code__": "a function's code", "__builtins__": "the builtins",
    "__subclasses__": "class internals", "__bases__": "class internals",
    "__mro__": "class internals", "__class__": "class internals", "f_back": "stack frames",
    "f_globals": "stack frames", "f_locals": "stack frames", "_getframe": "stack frames",
    "modules": "sys.modules", "settrace": "tracing", "setprofile": "tracing",
    "input_transformers_cleanup": "IPython's input", "input_transformers_post": "IPython's input",
    "ast_transformers": "IPython's input", "events": "IPython's events",
    "run_line_magic": "IPython magics", "run_cell_magic": "IPython magics",
    "system": "a shell", "popen": "a shell", "kill": "signals", "killpg": "signals",
    "getppid": "the grader's process", "fork": "processes", "_exit": "ends the kernel",
    "chdir": "the working folder", "environ": "the environment",
}
TRICK_METHODS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__",
                 "__array__", "__array_function__", "__array_ufunc__", "__array_priority__",
                 "__float__", "__int__", "__index__", "__hash__", "__getattribute__",
                 "__instancecheck__", "__subclasscheck__", "__len__", "__abs__", "__round__"}
VALUE_TYPES = {"ndarray", "int", "float", "bool", "list", "tuple", "str", "dict", "Tensor"}
COMMON_MODULES = {"np", "numpy", "tf", "tensorflow", "keras", "plt", "pd", "math", "os", "sys",
                  "check", "dlcourse", "random", "builtins", "scipy", "sklearn"}
GRADER_WORDS = ("solutions", "gradebook", "submitted", "autograded", "answer_key", "feedback")


@dataclass(frozen=True)
class Flag:
    cell: str
    line: int
    code: str
    reason: str

    def format(self) -> str:
        return f"{self.cell} line {self.line}: {self.reason}: `{self.code.strip()[:120]}`"


def _python(source: str) -> str:
    """Cell source with IPython syntax (magics, !shell) turned into the calls it makes."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # unparseable magics: scan the raw text
        return source


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Scanner(ast.NodeVisitor):
    def __init__(self, modules: set[str]):
        self.modules = modules | COMMON_MODULES
        self.found: list[tuple[int, str]] = []

    def flag(self, node: ast.AST, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 1), reason))

    def _module(self, name: str, node: ast.AST) -> None:
        top = name.split(".")[0]
        if top in COURSE_MODULES:
            self.flag(node, f"imports course code ({name})")
        elif top in RISKY_MODULES:
            self.flag(node, f"imports {name}, which reaches {RISKY_MODULES[top]}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(alias.name, node)
            self.modules.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._module(node.module or "", node)
        self.modules.update(a.asname or a.name for a in node.names)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in RISKY_NAMES:
            self.flag(node, f"{node.id}: {RISKY_NAMES[node.id]}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in RISKY_ATTRIBUTES and _dotted(node).split(".")[0] in self.modules | {
                "self", "type", "object"} | set(RISKY_NAMES):
            self.flag(node, f"{_dotted(node)}: {RISKY_ATTRIBUTES[node.attr]}")
        elif node.attr.startswith("__") and node.attr in RISKY_ATTRIBUTES:
            self.flag(node, f"{_dotted(node)}: {RISKY_ATTRIBUTES[node.attr]}")
        if isinstance(node.ctx, ast.Store | ast.Del):
            base = _dotted(node).split(".")[0]
            if base in self.modules:
                self.flag(node, f"replaces {_dotted(node)} (patches a module)")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del) and _dotted(node.value).split(".")[0] in (
                self.modules):
            self.flag(node, f"changes {_dotted(node.value)}[...] (patches a module)")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            if _dotted(base).split(".")[-1] in VALUE_TYPES:
                self.flag(node, f"class {node.name} subclasses {_dotted(base)}")
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name in TRICK_METHODS:
                self.flag(item, f"class {node.name} redefines {item.name}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                self.flag(node, "open() of a computed path")
        if _is_route(node):  # app.post("/predict"), client.get("/health"): URLs, not files
            for child in [node.func, *node.args[1:], *node.keywords]:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """In an f-string only a leading constant can start a path ("{root}/x" is fine)."""
        for index, value in enumerate(node.values):
            if index == 0 or not isinstance(value, ast.Constant):
                self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and value:
            path_like = (value.startswith("~") or (value[:1] == "/" and value[1:2].isalnum())
                         or ".." in value.replace("\\", "/").split("/"))
            if path_like and " " not in value and len(value) < 200:
                self.flag(node, f"a path outside the notebook's folder ({value!r})")
            elif any(word in value for word in GRADER_WORDS):
                self.flag(node, f"names the grader's files ({value[:40]!r})")


HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "route",
                "api_route", "websocket"}


def _is_route(node: ast.Call) -> bool:
    """A web framework's or HTTP client's call whose first argument is a URL path."""
    first = node.args[0] if node.args else None
    return (isinstance(node.func, ast.Attribute) and node.func.attr in HTTP_METHODS
            and isinstance(first, ast.Constant) and isinstance(first.value, str)
            and first.value.startswith("/"))


def scan_source(source: str, modules: set[str] | None = None) -> list[tuple[int, str, str]]:
    """(line number, offending line, reason) for every suspicious construct in ``source``."""
    code = _python(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # it cannot run either; its tests fail on their own
    scanner = _Scanner(set(modules or ()))
    scanner.visit(tree)
    lines = code.splitlines()
    seen, found = set(), []
    for line, reason in scanner.found:
        if (line, reason) not in seen:
            seen.add((line, reason))
            found.append((line, lines[line - 1] if 0 < line <= len(lines) else "", reason))
    return found


def _imported_names(nb) -> set[str]:
    names = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or is_answer(cell):
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def scan_notebook(nb) -> list[Flag]:
    """Flags for every answer cell of a submission."""
    modules = _imported_names(nb)
    flags = []
    for cell in nb.cells:
        if cell.cell_type == "code" and is_answer(cell):
            for line, code, reason in scan_source(cell.source, modules):
                flags.append(Flag(grade_id(cell) or "?", line, code, reason))
    return flags
