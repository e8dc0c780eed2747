"""Griffe extension for the API reference: numpydoc/Sphinx roles become links.

quartier's docstrings follow numpydoc and cross-reference with Sphinx roles
(``:func:`quartier.choropleth```). mkdocstrings does not read roles, so they
would show as literal text. This extension rewrites each role, before the
docstring is rendered, into an autorefs link to the page where the object is
documented: ``quartier.<name>`` goes to the module the name lives in
(``quartier._LAZY``), a bare name to the same module, a full path stays. A
target that no page documents becomes plain code (``optional`` autoref), so
the strict build does not fail on it.
"""

from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|data|attr|mod|obj|exc|const):`~?([\w.]+)(?:\(\))?`")


def _lazy() -> dict[str, str]:
    try:
        import quartier

        return dict(quartier._LAZY)
    except Exception:  # the docs build without the package importable: no top-level names
        return {}


class NumpydocRoles(griffe.Extension):
    """Rewrite ``:func:`x``` roles in every docstring of the package into autorefs links."""

    def __init__(self) -> None:
        super().__init__()
        self.lazy = _lazy()

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        self._walk(pkg, set())

    def _walk(self, obj, seen: set) -> None:
        if id(obj) in seen or obj.is_alias:
            return
        seen.add(id(obj))
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(lambda m: self._link(m.group(1), obj),
                                           obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)

    def _target(self, name: str, obj) -> str:
        parts = name.split(".")
        if parts[0] == "quartier" and len(parts) == 2 and parts[1] in self.lazy:
            return f"{self.lazy[parts[1]]}.{parts[1]}"
        if "." not in name:
            module = obj if obj.is_module else obj.module
            if name in module.members:
                return f"{module.path}.{name}"
            if name in self.lazy:
                return f"{self.lazy[name]}.{name}"
        return name

    def _link(self, name: str, obj) -> str:
        target = self._target(name, obj)
        return (f'<autoref identifier="{html.escape(target)}" optional><code>'
                f"{html.escape(name)}</code></autoref>")
