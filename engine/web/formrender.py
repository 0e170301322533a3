"""A user task's JSON Schema (+ optional UI schema) as HTML form fields, and a posted form back as data.

Owns the mapping between schema types and widgets, so templates stay dumb: text, textarea, date,
number/integer, enum as select or radio, boolean as checkbox (or ja/nei radio), lists of enum
values as checkboxes, nested objects as fieldsets and arrays of objects (e.g. ``kontakter``) as
rows that can be added and removed without JavaScript (a submit button re-renders server-side).

Field paths use the validator's notation (``kontakter/0/telefon``) so each error from
``engine.forms.validate`` lands beside its own field.  Values that do not parse (``"tolv"`` in a
number field) are kept as typed: the validator explains them and the user sees what they wrote.
No Flask, no database.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

ROWS_MARK = "__row"
#: A string field whose value is an attachment (``{"type": "string", "format": "vedlegg"}`` or ``ui:widget: file``).
FILE_FORMAT = "vedlegg"


@dataclass
class Field:
    """One thing to draw: an input, a fieldset (``group``), a list of row fieldsets (``rows``) or a
    ``section`` of a long form (a fieldset of fields that holds no data of its own)."""

    path: str
    name: str
    label: str
    kind: str
    required: bool = False
    help: str | None = None
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def dom_id(self) -> str:
        return "f-" + self.path.replace("/", "-")


def resolve(schema: dict, root: dict) -> dict:
    """Follow local ``$ref`` (``#/$defs/x``) so a form may share definitions."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 10:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _options(schema: dict, ui: dict) -> list[tuple[str, str]] | None:
    if "enum" in schema:
        names = ui.get("ui:enumNames") or schema.get("enumNames") or []
        return [(str(v), str(names[i]) if i < len(names) else str(v)) for i, v in enumerate(schema["enum"])]
    choices = schema.get("oneOf") or schema.get("anyOf")
    if choices and all(isinstance(c, dict) and "const" in c for c in choices):
        return [(str(c["const"]), str(c.get("title", c["const"]))) for c in choices]
    return None


def _type(schema: dict) -> str:
    t = schema.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return t


def _ordered(props: dict, ui: dict) -> list[str]:
    order = ui.get("ui:order") or []
    names = [n for n in order if n in props]
    rest = [n for n in props if n not in names]
    if "*" in order:
        star = order.index("*")
        before = [n for n in order[:star] if n in props]
        after = [n for n in order[star + 1:] if n in props]
        return before + [n for n in rest if n not in after] + after
    return names + rest


def build(schema: dict, ui: dict | None, data: Mapping | None, errors: Mapping[str, list[str]] | None,
          root: dict | None = None, prefix: str = "") -> list[Field]:
    """The fields of an object schema, in UI order, filled with ``data`` and ``errors``."""
    root = root or schema
    schema = resolve(schema, root)
    ui = ui or {}
    data = data if isinstance(data, Mapping) else {}
    errors = errors or {}
    required = set(schema.get("required") or [])
    out = []
    props = schema.get("properties") or {}
    for name in _ordered(props, ui):
        sub_ui = ui.get(name) or {}
        if sub_ui.get("ui:widget") == "hidden":
            continue
        out.append(_field(name, resolve(props[name], root), sub_ui, data.get(name), errors, root,
                          prefix + name, name in required))
    return _sections(out, ui.get("ui:groups"), prefix)


def _sections(fields: list[Field], groups: Any, prefix: str) -> list[Field]:
    """Fields gathered into the ui-schema's ``ui:groups`` (``[{"title": …, "fields": [names]}]``):
    each group a ``section`` (drawn as a fieldset), in the groups' order; a field no group names
    follows in a last untitled section.  Sections hold no data: paths and posted names stay as they were.
    """
    if not isinstance(groups, list) or not groups:
        return fields
    by_name = {f.name: f for f in fields}
    out, used = [], set()
    for i, group in enumerate(g for g in groups if isinstance(g, dict)):
        members = [by_name[n] for n in group.get("fields") or [] if n in by_name and n not in used]
        used |= {f.name for f in members}
        if members:
            out.append(Field(path=f"{prefix}_del{i + 1}", name=f"_del{i + 1}", label=str(group.get("title") or ""),
                             kind="section", help=group.get("description"), children=members))
    rest = [f for f in fields if f.name not in used]
    if rest:
        out.append(Field(path=f"{prefix}_del{len(out) + 1}", name="", label="", kind="section", children=rest))
    return out


def _scale(schema: dict, ui: dict) -> list[tuple[str, str]] | None:
    """A short whole-number range (MANSA's 1–7) as radio options, labelled by ``ui:enumNames``."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if not (isinstance(low, int) and isinstance(high, int) and 0 < high - low + 1 <= 11):
        return None
    names = ui.get("ui:enumNames") or []
    return [(str(v), str(names[i]) if i < len(names) else str(v)) for i, v in enumerate(range(low, high + 1))]


#: Placeholder for a new row's index in the blank row a page can add without a round trip.
NEW_ROW = "__NY__"


def _walk(fields: list[Field]):
    for f in fields:
        yield f
        yield from _walk(f.children)


def error_list(fields: list[Field]) -> list[tuple[str, str, str]]:
    """(dom id, label, message) of every error in a field tree, for the summary at the top of a
    form: each message names its field, so seven «Feltet må fylles ut.» can be told apart."""
    out: list[tuple[str, str, str]] = []
    for f in fields:
        out += [(f.dom_id, f.label, m) for m in f.errors]
        out += error_list(f.children)
        for r in f.rows:
            out += error_list(r)
    return out


def _field(name: str, schema: dict, ui: dict, value: Any, errors: Mapping, root: dict, path: str,
           required: bool) -> Field:
    if value is None and "default" in schema:
        value = schema["default"]          # a suggestion the user can change (never for a cleared field)
    label = ui.get("ui:title") or schema.get("title") or name.replace("_", " ").capitalize()
    f = Field(path=path, name=name, label=label, kind="text", required=required,
              help=ui.get("ui:help") or schema.get("description"), value=value, errors=list(errors.get(path, [])))
    widget = ui.get("ui:widget")
    t = _type(schema)
    opts = _options(schema, ui)
    if t == "object":
        f.kind = "group"
        f.children = build(schema, ui, value if isinstance(value, Mapping) else {}, errors, root, path + "/")
    elif t == "array":
        items = resolve(schema.get("items") or {}, root)
        item_opts = _options(items, ui.get("items") or {})
        rows = value if isinstance(value, list) else []
        if item_opts is not None:
            f.kind, f.options = "checkboxes", item_opts
            f.value = [str(v) for v in rows]
        elif _type(items) == "object":
            f.kind = "rows"
            item_ui = ui.get("items") or {}
            f.rows = [build(items, item_ui, row if isinstance(row, Mapping) else {}, errors, root, f"{path}/{i}/")
                      for i, row in enumerate(rows)]
            f.attrs["item_title"] = items.get("title") or ui.get("ui:itemTitle") or "Rad"
            # An empty row for «Legg til» in the page (rows.js); a list inside the row keeps the
            # server round trip (one placeholder per level would be needed).
            blank = build(items, item_ui, {}, {}, root, f"{path}/{NEW_ROW}/")
            if not any(b.kind == "rows" for b in _walk(blank)):
                f.attrs["blank"] = blank
            f.attrs["min"] = schema.get("minItems", 0)
            for i in range(len(rows)):
                f.errors += list(errors.get(f"{path}/{i}", []))
        else:
            f.kind = "lines"
            f.value = "\n".join(str(v) for v in rows) if isinstance(value, list) else (value or "")
    elif opts is not None:
        f.kind = "radio" if widget == "radio" else "select"
        f.options = opts
        f.value = "" if value is None else str(value)
    elif t == "boolean":
        f.kind = "yesno" if widget == "radio" else "checkbox"
        f.value = value
    elif t == "integer" and widget == "radio" and (scale := _scale(schema, ui)) is not None:
        f.kind, f.options = "radio", scale
        f.attrs["scale"] = True
        f.value = "" if value is None else str(value)
    elif t in ("integer", "number"):
        f.kind = "number"
        f.attrs = {k: schema[k] for k in ("minimum", "maximum") if k in schema}
        f.attrs["step"] = "1" if t == "integer" else "any"
        f.value = "" if value is None else value
    elif schema.get("format") == FILE_FORMAT or widget == "file":
        f.kind = "file"             # the value is an attachment reference, «vedlegg:<id>» (engine.collab)
        f.value = "" if value is None else value
    elif schema.get("format") == "date":
        f.kind = "date"
    elif schema.get("format") == "date-time":
        f.kind = "datetime"
    elif widget == "textarea" or (schema.get("maxLength") or 0) > 200:
        f.kind = "textarea"
    else:
        f.kind = "email" if schema.get("format") == "email" else "text"
    if f.kind in ("text", "textarea", "date", "datetime", "email"):
        f.value = "" if value is None else value
        if "maxLength" in schema:
            f.attrs["maxlength"] = schema["maxLength"]
    return f


# ---------------------------------------------------------------------------------------------
# posted form → data
# ---------------------------------------------------------------------------------------------

def parse(schema: dict, form: FormData, root: dict | None = None, prefix: str = "") -> dict[str, Any]:
    """The data a posted form stands for (``form`` is a werkzeug MultiDict or any ``getlist`` mapping)."""
    root = root or schema
    schema = resolve(schema, root)
    out: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        sub = resolve(sub, root)
        path = prefix + name
        value = _parse_value(sub, form, root, path)
        if value is not _MISSING:
            out[name] = value
    return out


_MISSING = object()

#: A submitted form: werkzeug's MultiDict (``request.form``), which also gives every value of a repeated key.
FormData = MultiDict


def _parse_value(schema: dict, form: FormData, root: dict, path: str) -> Any:
    t = _type(schema)
    if t == "object":
        value = parse(schema, form, root, path + "/")
        # An optional sub-form left untouched is absent, not an object missing its required fields.
        return _MISSING if _blank(value) else value
    if t == "array":
        items = resolve(schema.get("items") or {}, root)
        if _options(items, {}) is not None:
            return [_coerce(items, v) for v in form.getlist(path)] if path in form or _present(form, path) else []
        if _type(items) == "object":
            return [parse(items, form, root, f"{path}/{i}/") for i in row_indices(form, path)]
        if path not in form:
            return _MISSING
        return [line.strip() for line in str(form.get(path, "")).splitlines() if line.strip()]
    if t == "boolean":
        if path + "/__bool" in form and path not in form:
            return False
        raw = form.get(path)
        if raw is None:
            return _MISSING
        return {"true": True, "on": True, "false": False, "": None}.get(raw, raw) if raw != "" else _MISSING
    if path not in form:
        return _MISSING
    return _coerce(schema, form.get(path))


def _blank(value: Any) -> bool:
    """Nothing filled in: empty text, no choice, an unticked box, empty lists and sub-forms."""
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return not value
    return value in (None, "", False)


def _present(form: Mapping, path: str) -> bool:
    return (path + "/__list") in form


def _coerce(schema: dict, raw: Any) -> Any:
    """Parse what the schema says the value is; keep the raw text when it does not parse."""
    if raw is None:
        return None
    raw = str(raw)
    for choice in schema.get("enum") or [c.get("const") for c in (schema.get("oneOf") or []) if isinstance(c, dict)]:
        if str(choice) == raw:
            return choice
    t = _type(schema)
    text = raw.strip()
    if t in ("integer", "number") and text:
        try:
            number = float(text.replace(",", ".").replace(" ", ""))
        except ValueError:
            return raw
        if t == "integer":
            return int(number) if number.is_integer() else raw
        return int(number) if number.is_integer() else number
    return raw if t != "string" else raw.replace("\r\n", "\n")


def row_indices(form: Mapping, path: str) -> list[int]:
    """Which rows of a list a form carries (each row posts a hidden ``…/N/__row`` marker)."""
    found = set()
    marker_prefix = path + "/"
    for key in form:
        if key.startswith(marker_prefix) and key.endswith("/" + ROWS_MARK):
            middle = key[len(marker_prefix):-len(ROWS_MARK) - 1]
            if middle.isdigit():
                found.add(int(middle))
    return sorted(found)


def apply_row_action(data: dict[str, Any], action: str) -> bool:
    """``add:kontakter`` appends an empty row; ``remove:kontakter/2`` drops one. True if applied."""
    verb, _, target = action.partition(":")
    parts = [p for p in target.split("/") if p]
    if verb not in ("add", "remove") or not parts:
        return False
    index = None
    if verb == "remove":
        if len(parts) < 2 or not parts[-1].isdigit():
            return False
        index = int(parts.pop())
    container: Any = data
    for p in parts[:-1]:
        container = container[int(p)] if isinstance(container, list) and p.isdigit() else container.setdefault(p, {})
    key = parts[-1]
    rows = container.setdefault(key, []) if isinstance(container, dict) else None
    if not isinstance(rows, list):
        return False
    if verb == "add":
        rows.append({})
    elif index is not None and 0 <= index < len(rows):
        rows.pop(index)
    return True
