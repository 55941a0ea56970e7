// The pages' few interactive parts, each on the page that has its markup:
// following a run while it solves, putting rows in order (an enterprise's
// applicants, a candidate's choices), finding a person in a long table, and
// choosing placements from a searchable list. Every change is made to the
// page's own form fields: nothing is stored until the form is sent.
"use strict";

// ---------------------------------------------------------------- a run solving
// A status cell with data-follow: ask every second where the run is; reload
// the page when it ends (its figures appear then).
function followRuns() {
  const cells = Array.from(document.querySelectorAll("[data-follow]"));
  if (!cells.length) return;
  const tick = async () => {
    let running = 0;
    for (const cell of cells) {
      try {
        const answer = await fetch(cell.dataset.follow, { credentials: "same-origin" });
        const run = await answer.json();
        if (run.text) cell.textContent = run.text;
        if (!run.done) running += 1;
      } catch (error) {
        running += 1; // the service restarting: ask again
      }
    }
    if (running) setTimeout(tick, 1000);
    else window.location.reload();
  };
  setTimeout(tick, 1000);
}

// ---------------------------------------------------------------- ordering
// A table.ordering: rows in order, a "tie" checkbox sharing the place of the
// row above, an "accept" checkbox (where there is one) leaving a row out.
function rowsOf(table) {
  return Array.from(table.querySelectorAll("tr[data-id]"));
}

function renumber(table) {
  let place = 0;
  let first = true;
  for (const row of rowsOf(table)) {
    const accept = row.querySelector("input[name=accept]");
    const tie = row.querySelector("input[name=tie], input[name=pref_tie]");
    const cell = row.querySelector(".place");
    const counted = !accept || accept.checked;
    row.classList.toggle("left-out", !counted);
    if (!counted) {
      if (cell) cell.textContent = "—";
      continue;
    }
    if (tie && !table.dataset.readonly) tie.disabled = first; // the first place is nobody's tie
    if (first || !(tie && tie.checked)) place += 1;
    first = false;
    if (cell) cell.textContent = String(place);
  }
  const empty = document.getElementById("no-choices");
  if (empty && table.id === "chosen") empty.hidden = rowsOf(table).length > 0;
}

function moveTo(table, row, index) {
  // a row moved starts a place of its own: tie it again where it lands if wanted
  const tie = row.querySelector("input[name=tie], input[name=pref_tie]");
  if (tie) tie.checked = false;
  const rows = rowsOf(table).filter((r) => r !== row);
  const at = Math.max(0, Math.min(index, rows.length));
  if (at === rows.length) rows[rows.length - 1].after(row);
  else rows[at].before(row);
  renumber(table);
  row.classList.add("moved");
  row.scrollIntoView({ block: "nearest" });
}

function ordering(table) {
  table.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const row = event.target.closest("tr[data-id]");
    if (!button || !row) return;
    const rows = rowsOf(table);
    const index = rows.indexOf(row);
    if (button.classList.contains("up") && index > 0) moveTo(table, row, index - 1);
    else if (button.classList.contains("down") && index < rows.length - 1) moveTo(table, row, index + 1);
    else if (button.classList.contains("remove")) {
      row.remove();
      renumber(table);
      document.dispatchEvent(new CustomEvent("choices-changed"));
    }
  });
  table.addEventListener("change", () => renumber(table));
  table.addEventListener("keydown", (event) => {
    const input = event.target.closest("input.to");
    if (!input || event.key !== "Enter") return;
    event.preventDefault(); // Enter moves the row; it does not send the form
    const wanted = parseInt(input.value, 10);
    if (wanted >= 1) moveTo(table, input.closest("tr[data-id]"), wanted - 1);
    input.value = "";
  });
  renumber(table);
}

// ---------------------------------------------------------------- find a person
function finder() {
  const box = document.getElementById("find");
  const table = document.querySelector("table.ordering");
  if (!box || !table) return;
  const said = document.getElementById("found");
  box.addEventListener("input", () => {
    const text = box.value.trim().toLowerCase();
    let hits = 0;
    let first = null;
    for (const row of rowsOf(table)) {
      const hit = text !== "" && row.dataset.find.toLowerCase().includes(text);
      row.classList.toggle("found", hit);
      if (hit) {
        hits += 1;
        first = first || row;
      }
    }
    if (said) said.textContent = text ? String(hits) : "";
    if (first) first.scrollIntoView({ block: "center" });
  });
}

// ---------------------------------------------------------------- the placement picker
function picker() {
  const box = document.getElementById("picker");
  const chosen = document.getElementById("chosen");
  if (!box || !chosen) return;
  const words = box.dataset;
  let page = 1;
  let pages = 1;

  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  const button = (text, className) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) b.className = className;
    return b;
  };
  const has = (id) => rowsOf(chosen).some((r) => r.dataset.id === id);
  const titled = (p) => {
    const td = cell(p.title + " ");
    const id = document.createElement("span");
    id.className = "id";
    id.textContent = p.id;
    td.append(id);
    return td;
  };

  const add = (p) => {
    const row = document.createElement("tr");
    row.dataset.id = p.id;
    const title = titled(p);
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "pref";
    field.value = p.id;
    title.append(field);
    const tie = document.createElement("input");
    tie.type = "checkbox";
    tie.name = "pref_tie";
    tie.value = p.id;
    tie.setAttribute("aria-label", words.tie);
    const tieCell = document.createElement("td");
    tieCell.append(tie);
    const move = document.createElement("td");
    move.className = "move";
    move.append(button("↑", "up"), button("↓", "down"), button(words.remove, "remove"));
    row.append(cell("", "num place"), title, cell(p.host), cell(p.park), cell(String(p.seats), "num"), tieCell, move);
    chosen.querySelector("tbody").append(row);
    renumber(chosen);
  };

  const search = async () => {
    const query = new URLSearchParams({ page: String(page) });
    for (const [key, id] of [["q", "picker-q"], ["park", "picker-park"], ["kind", "picker-kind"]]) {
      const value = document.getElementById(id).value.trim();
      if (value) query.set(key, value);
    }
    const answer = await fetch(box.dataset.source + "?" + query, { credentials: "same-origin" });
    const found = await answer.json();
    const table = document.getElementById("picker-results");
    for (const row of Array.from(table.querySelectorAll("tr[data-id]"))) row.remove();
    document.getElementById("picker-summary").textContent = found.summary || found.error || "";
    pages = found.pages || 1;
    for (const p of found.items || []) {
      const row = document.createElement("tr");
      row.dataset.id = p.id;
      const title = titled(p);
      const action = document.createElement("td");
      const b = button(has(p.id) ? words.added : words.add, "add");
      b.disabled = has(p.id);
      b.addEventListener("click", () => {
        if (!has(p.id)) add(p);
        b.textContent = words.added;
        b.disabled = true;
      });
      action.append(b);
      row.append(title, cell(p.host), cell(p.park), cell(p.kind), cell(String(p.seats), "num"), cell(String(p.applicants), "num"), action);
      table.querySelector("tbody").append(row);
    }
  };

  document.getElementById("picker-search").addEventListener("click", () => { page = 1; search(); });
  document.getElementById("picker-q").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); page = 1; search(); }
  });
  document.getElementById("picker-prev").addEventListener("click", () => { if (page > 1) { page -= 1; search(); } });
  document.getElementById("picker-next").addEventListener("click", () => { if (page < pages) { page += 1; search(); } });
  document.addEventListener("choices-changed", () => {
    for (const b of Array.from(document.querySelectorAll("#picker-results button.add"))) {
      const id = b.closest("tr").dataset.id;
      b.disabled = has(id);
      b.textContent = has(id) ? words.added : words.add;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  followRuns();
  for (const table of Array.from(document.querySelectorAll("table.ordering"))) ordering(table);
  finder();
  picker();
});
