"""DataTable: a whole table as one Dash component, drawn by assets/data_table.js.

Built from html.Table, a table of 20 rows by 11 columns is about 500 Dash components, and Dash's renderer
spends roughly half a millisecond on each before React draws it (its prop, callback and loading
bookkeeping), about 100 ms of a page's first render. This component carries the same table as plain
data, its cells being text, links (followed in the page, as dcc.Link does), spans with a class or bars.
The DOM it draws is what html.Table drew: tests and styles see the same table.
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component

Cell = str | dict[str, Any]


class DataTable(Component):
    """head: [{"label": Cell, "numeric": bool}]; rows: [{"key"?, "cells": [Cell]}], a cell being text or
    {"text", "href"?, "className"?} or {"bar": share 0..1, "over": bool}."""

    _children_props: list[str] = []
    _base_nodes: list[str] = []
    _namespace = "spanledger"
    _type = "DataTable"

    def __init__(self, id: str | None = None, className: str | None = None, head: list[dict[str, Any]] | None = None,
                 rows: list[dict[str, Any]] | None = None) -> None:
        self._prop_names = ["id", "className", "head", "rows"]
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = list(self._prop_names)
        self.available_wildcard_properties: list[str] = []
        super().__init__(id=id, className=className, head=head or [], rows=rows or [])
