// The Browse grid of arize_orgs_nb (an anywidget ES module).
//
// The kernel sends one page of rows at a time (trait "rows"); cell markup is rendered and
// escaped in Python, and every other value from the server is set as text or as an attribute
// here (textContent, .title, .value), never parsed as HTML. What the user does goes back as
// traits (page, page_size, sort) or as messages ({event: "open" | "edit" | "delete" | "add"}).

const FIELDS = ["name", "description"];
const CLICK_DELAY_MS = 350; // a second click within this time is a double click (edit, not open)

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

// A small line icon (16 x 16 view box) drawn with the text colour; built here, never from data.
function icon(size, shapes) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [name, value] of [["viewBox", "0 0 16 16"], ["width", size], ["height", size], ["aria-hidden", "true"]]) {
    svg.setAttribute(name, String(value));
  }
  for (const [tag, attributes] of shapes) {
    const shape = document.createElementNS(ns, tag);
    const all = { fill: "none", stroke: "currentColor", "stroke-width": "1.4", ...attributes };
    for (const [name, value] of Object.entries(all)) shape.setAttribute(name, String(value));
    svg.appendChild(shape);
  }
  return svg;
}

const copyIcon = () =>
  icon(12, [
    ["rect", { x: 2, y: 2, width: 9, height: 9, rx: 1.5 }],
    ["rect", { x: 5, y: 5, width: 9, height: 9, rx: 1.5, fill: "var(--aonb-grid-bg)" }],
  ]);
const peopleIcon = () =>
  icon(13, [
    ["path", {
      d: "M6 7.5a2.3 2.3 0 1 0 0-4.6 2.3 2.3 0 0 0 0 4.6zM1.5 13.5c0-2.4 2-4 4.5-4s4.5 1.6 4.5 4M11 7.3a2 2 0 1 0-.6-3.9M12 9.7c1.5.4 2.5 1.7 2.5 3.8",
      "stroke-linecap": "round",
    }],
  ]);
const trashIcon = () =>
  icon(12, [
    ["path", { d: "M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4M6.8 6.5v5M9.2 6.5v5", "stroke-linejoin": "round" }],
  ]);

// The Clipboard API where the page may use it (JupyterLab, Notebook 7 on localhost or https),
// else the older execCommand("copy") on a hidden textarea (some embedded views).
function copyText(text) {
  const fallback = () => {
    const area = node("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    area.remove();
    return done;
  };
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(() => true, fallback);
  }
  return Promise.resolve(fallback());
}

function render({ model, el }) {
  el.classList.add("aonb-grid");
  const pager = node("div", "aonb-grid-pager");
  const first = node("button", "aonb-grid-first", "«");
  const prev = node("button", "aonb-grid-prev", "‹");
  const pageText = node("span", "aonb-grid-page");
  const next = node("button", "aonb-grid-next", "›");
  const last = node("button", "aonb-grid-last", "»");
  const range = node("span", "aonb-grid-range");
  const sizeLabel = node("label", "aonb-grid-size-label", "Rows per page ");
  const size = node("select", "aonb-grid-size");
  sizeLabel.appendChild(size);
  first.title = "first page";
  prev.title = "previous page";
  next.title = "next page";
  last.title = "last page";
  pager.append(first, prev, pageText, next, last, range, sizeLabel);

  const scroll = node("div", "aonb-grid-scroll");
  const table = node("table", "aonb-grid-table");
  const colgroup = node("colgroup");
  const thead = node("thead");
  const tbody = node("tbody");
  const tfoot = node("tfoot");
  table.append(colgroup, thead, tbody, tfoot);
  scroll.appendChild(table);
  el.append(pager, scroll);

  let rows = []; // the page shown, parsed once per change of the "rows" trait (one JSON text)
  let editing = null; // {key, field, input, td}
  let redrawPending = false;
  let clickTimer = null;
  let focusSeen = (model.get("focus") || {}).n || 0; // a new view does not take an old focus

  const setTraits = (values) => {
    for (const [name, value] of Object.entries(values)) model.set(name, value);
    model.save_changes();
  };
  const goTo = (page) => {
    const pages = model.get("pages");
    const target = Math.min(Math.max(page, 0), Math.max(pages - 1, 0));
    if (target !== model.get("page")) setTraits({ page: target });
  };

  first.addEventListener("click", () => goTo(0));
  prev.addEventListener("click", () => goTo(model.get("page") - 1));
  next.addEventListener("click", () => goTo(model.get("page") + 1));
  last.addEventListener("click", () => goTo(model.get("pages") - 1));
  size.addEventListener("change", () => setTraits({ page_size: Number(size.value) }));

  function drawPager() {
    const page = model.get("page");
    const pages = model.get("pages");
    const total = model.get("total");
    const pageSize = model.get("page_size");
    pageText.textContent = `Page ${page + 1} of ${pages}`;
    const start = total ? page * pageSize + 1 : 0;
    const end = Math.min(total, (page + 1) * pageSize);
    range.textContent = `${start.toLocaleString("en-US")}–${end.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}`;
    first.disabled = prev.disabled = page <= 0;
    next.disabled = last.disabled = page >= pages - 1;
    const sizes = model.get("page_sizes");
    if (size.options.length !== sizes.length || [...size.options].some((o, i) => Number(o.value) !== sizes[i])) {
      size.replaceChildren(...sizes.map((n) => {
        const option = node("option", "", String(n));
        option.value = String(n);
        return option;
      }));
    }
    size.value = String(pageSize);
  }

  function drawHeader() {
    const columns = model.get("columns");
    const sort = model.get("sort");
    colgroup.replaceChildren(...columns.map((column) => {
      const col = node("col", `aonb-grid-colw-${column.key}`);
      if (column.width) col.style.width = column.width;
      return col;
    }));
    const row = node("tr");
    for (const column of columns) {
      const th = node("th", `aonb-grid-col-${column.key}`);
      th.dataset.col = column.key;
      const label = node("span", "aonb-grid-th-label", column.title);
      th.appendChild(label);
      if (column.sortable) {
        th.classList.add("aonb-grid-sortable");
        const active = sort.column === column.key;
        const arrow = node("span", "aonb-grid-sort", active ? (sort.descending ? "▼" : "▲") : "");
        th.appendChild(arrow);
        th.setAttribute("aria-sort", active ? (sort.descending ? "descending" : "ascending") : "none");
        th.title = `sort by ${column.title.toLowerCase()}` + (active ? " (click again to reverse)" : "");
        th.addEventListener("click", () => {
          const descending = active ? !sort.descending : false;
          setTraits({ sort: { column: column.key, descending } });
        });
      }
      row.appendChild(th);
    }
    thead.replaceChildren(row);
    const add = node("button", "aonb-grid-add", "+ Add organization");
    add.title = "add a row: a new organization, created when the reviewed plan is applied";
    add.disabled = !model.get("editable");
    add.addEventListener("click", () => model.send({ event: "add" }));
    const cellAdd = node("td");
    cellAdd.colSpan = columns.length;
    cellAdd.appendChild(add);
    const footRow = node("tr", "aonb-grid-add-row");
    footRow.appendChild(cellAdd);
    tfoot.replaceChildren(footRow);
  }

  function fieldCell(row, field) {
    const data = row.cells[field];
    const td = node("td", `aonb-grid-cell aonb-grid-${field}`);
    td.dataset.field = field;
    td.innerHTML = data.html; // rendered and escaped by the kernel (widgets/_grid_rows.py)
    td.title = data.title;
    if (data.edited) td.classList.add("aonb-grid-edited");
    if (data.problem) td.classList.add("aonb-grid-problem");
    if (model.get("editable")) td.classList.add("aonb-grid-editable");
    return td;
  }

  function rowElement(row) {
    const tr = node("tr", "aonb-grid-row");
    tr.dataset.key = row.key;
    tr.title = row.new ? "a new organization: click a cell to type" : "click: open in Update · double-click a name or description: edit";
    if (row.new) tr.classList.add("aonb-grid-new");
    if (row.deleted) tr.classList.add("aonb-grid-deleted");
    for (const column of model.get("columns")) {
      if (FIELDS.includes(column.key)) {
        tr.appendChild(fieldCell(row, column.key));
      } else if (column.key === "created") {
        const created = node("td", "aonb-grid-cell aonb-grid-created", row.created);
        created.title = row.created_title;
        tr.appendChild(created);
      } else if (column.key === "id") {
        const td = node("td", "aonb-grid-cell aonb-grid-id");
        if (row.new) {
          td.textContent = "new";
        } else {
          const code = node("code", "aonb-grid-short-id", row.short_id);
          code.title = row.id;
          const copy = node("button", "aonb-grid-copy");
          copy.title = "copy the full id";
          copy.dataset.copy = row.id;
          copy.appendChild(copyIcon());
          td.append(code, copy);
        }
        tr.appendChild(td);
      } else if (column.key === "actions") {
        const td = node("td", "aonb-grid-cell aonb-grid-actions");
        if (!row.new) {
          const members = node("button", "aonb-grid-act aonb-grid-open-members");
          members.dataset.target = "Members";
          members.title = "open in the Members tab (set a role, remove a user)";
          members.setAttribute("aria-label", "Members");
          members.appendChild(peopleIcon());
          td.appendChild(members);
        }
        const mark = node("button", "aonb-grid-delete-mark");
        mark.appendChild(trashIcon());
        mark.setAttribute("aria-pressed", row.deleted ? "true" : "false");
        mark.disabled = !model.get("editable");
        mark.title = row.new
          ? "remove this new row"
          : row.deleted
            ? "marked for deletion: click to keep it"
            : "mark for deletion (confirmed in the review)";
        td.appendChild(mark);
        tr.appendChild(td);
      }
    }
    return tr;
  }

  function drawRows() {
    if (editing) {
      redrawPending = true;
      return;
    }
    redrawPending = false;
    if (!rows.length) {
      const empty = node("td", "aonb-grid-empty", model.get("empty_text"));
      empty.colSpan = model.get("columns").length;
      const tr = node("tr");
      tr.appendChild(empty);
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(...rows.map(rowElement));
    const focus = model.get("focus") || {};
    if (focus.key && focus.n !== focusSeen) {
      focusSeen = focus.n;
      const td = tbody.querySelector(`tr[data-key="${CSS.escape(focus.key)}"] td[data-field="${CSS.escape(focus.field)}"]`);
      if (td) startEdit(td);
    }
  }

  function rowOf(key) {
    return rows.find((row) => row.key === key);
  }

  function readRows() {
    rows = JSON.parse(model.get("rows") || "[]");
    drawRows();
  }

  function startEdit(td) {
    if (!model.get("editable")) return;
    if (editing) commit();
    const key = td.parentElement.dataset.key;
    const field = td.dataset.field;
    const row = rowOf(key);
    if (!row) return;
    const input = field === "description" ? node("textarea", "aonb-grid-editor") : node("input", "aonb-grid-editor");
    if (field === "description") input.rows = 2;
    input.value = row.cells[field].value;
    td.classList.add("aonb-grid-editing");
    td.replaceChildren(input);
    editing = { key, field, input, td };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        finish(false);
      } else if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Tab") {
        event.preventDefault();
        const index = FIELDS.indexOf(field) + (event.shiftKey ? -1 : 1);
        const tr = td.parentElement;
        finish(true);
        const target = index >= 0 && index < FIELDS.length ? tr.querySelector(`td[data-field="${FIELDS[index]}"]`) : null;
        if (target) startEdit(target);
      }
      event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the editor
    });
    input.addEventListener("blur", () => finish(true));
    input.focus();
    input.select();
  }

  function commit() {
    finish(true);
  }

  function finish(keep) {
    if (!editing) return;
    const { key, field, input, td } = editing;
    editing = null;
    const row = rowOf(key);
    const before = row ? row.cells[field].value : null;
    td.classList.remove("aonb-grid-editing");
    if (keep && row && input.value !== before) {
      td.textContent = input.value; // shown as typed until the kernel's page comes back
      td.classList.add("aonb-grid-edited");
      model.send({ event: "edit", key, field, value: input.value });
    } else if (row) {
      td.innerHTML = row.cells[field].html;
    }
    if (redrawPending) drawRows();
  }

  tbody.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element) || target.closest(".aonb-grid-editor")) return;
    const tr = target.closest("tr.aonb-grid-row");
    if (!tr) return;
    const key = tr.dataset.key;
    const copy = target.closest(".aonb-grid-copy");
    if (copy) {
      copyText(copy.dataset.copy).then((done) => {
        copy.classList.add(done ? "aonb-grid-copied" : "aonb-grid-copy-failed");
        copy.title = done ? "copied" : "copy failed: select the id in the tooltip";
        setTimeout(() => {
          copy.classList.remove("aonb-grid-copied", "aonb-grid-copy-failed");
          copy.title = "copy the full id";
        }, 1200);
      });
      return;
    }
    const act = target.closest(".aonb-grid-act");
    if (act) {
      model.send({ event: "open", key, target: act.dataset.target });
      return;
    }
    const mark = target.closest(".aonb-grid-delete-mark");
    if (mark) {
      const on = mark.getAttribute("aria-pressed") !== "true";
      mark.setAttribute("aria-pressed", on ? "true" : "false");
      tr.classList.toggle("aonb-grid-deleted", on);
      model.send({ event: "delete", key, on });
      return;
    }
    const td = target.closest("td[data-field]");
    if (tr.classList.contains("aonb-grid-new")) {
      if (td) startEdit(td);
      return;
    }
    if (event.detail >= 2) {
      clearTimeout(clickTimer);
      clickTimer = null;
      if (td) startEdit(td);
      return;
    }
    clearTimeout(clickTimer);
    clickTimer = setTimeout(() => {
      clickTimer = null;
      model.send({ event: "open", key, target: "Update" });
    }, CLICK_DELAY_MS);
  });

  const drawAll = () => {
    drawPager();
    drawHeader();
    drawRows();
  };
  rows = JSON.parse(model.get("rows") || "[]");
  const handlers = [
    ["change:rows", readRows],
    ["change:focus", drawRows],
    ["change:page change:pages change:total change:page_size change:page_sizes", drawPager],
    ["change:columns change:sort change:editable", drawAll],
  ];
  for (const [events, handler] of handlers) model.on(events, handler);
  drawAll();
  return () => {
    clearTimeout(clickTimer);
    for (const [events, handler] of handlers) model.off(events, handler);
  };
}

export default { render };
