/* spanledger.DataTable: one Dash component for a whole table (dashboards/data_table.py). */
(function () {
  "use strict";
  var h = window.React.createElement;

  // In-page navigation, as dcc.Link does it: the URL changes and Dash's router renders the page.
  function follow(event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.history.pushState({}, "", event.currentTarget.getAttribute("href"));
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  function content(cell) {
    if (cell === null || typeof cell !== "object") return cell;
    if ("bar" in cell) {  // share in 0..1 (components.bar)
      return h("div", {className: "value-bar"}, h("div", {className: cell.over ? "fill over" : "fill", style: {width: (cell.bar * 100).toFixed(1) + "%"}}));
    }
    if (cell.href) return h("a", {href: cell.href, className: cell.className, onClick: follow}, cell.text);
    return h("span", {className: cell.className}, cell.text);
  }

  function DataTable(props) {
    var numeric = (props.head || []).map(function (cell) { return cell.numeric ? "num" : undefined; });
    var head = (props.head || []).map(function (cell, index) { return h("th", {key: index, className: numeric[index]}, content(cell.label)); });
    var rows = (props.rows || []).map(function (row, index) {
      var cells = row.cells.map(function (cell, column) { return h("td", {key: column, className: numeric[column]}, content(cell)); });
      return h("tr", {key: row.key !== undefined ? row.key : index, "data-key": row.key}, cells);
    });
    return h("table", {id: props.id, className: props.className}, h("thead", null, h("tr", null, head)), h("tbody", null, rows));
  }

  window.spanledger = Object.assign(window.spanledger || {}, {DataTable: DataTable});
})();
