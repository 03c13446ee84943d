// Interactive heatmaps: hover or focus a cell to read its query, key, raw score and weight.
//
// The build hook writes, next to each figure's light and dark SVG, a JSON file with the numbers
// behind it and where its cells lie in the image (fractions of the image's width and height).
// This script lays a transparent grid of focusable cells over the visible image. Without
// JavaScript the static SVG stays as it is. No framework, no third-party request.
(function () {
  "use strict";

  // JSON has no -Infinity: a masked score arrives as null.
  const format = (value) => (value === null ? "−∞ (가림)" : Number(value).toFixed(3));

  function describe(panel, row, col, title) {
    const parts = [];
    if (title) parts.push(title);
    parts.push(`${panel.row_title}: ${panel.row_labels[row]}`);
    parts.push(`${panel.col_title}: ${panel.col_labels[col]}`);
    if (panel.scores) {
      parts.push(`점수: ${format(panel.scores[row][col])}`);
    }
    parts.push(`${panel.scores ? "가중치" : "값"}: ${format(panel.values[row][col])}`);
    return parts;
  }

  function buildGrid(frame, tip, panel, area, title) {
    const nRows = panel.values.length;
    const nCols = panel.values[0].length;
    const grid = document.createElement("div");
    grid.className = "heatmap-cells";
    grid.setAttribute("role", "grid");
    grid.setAttribute("aria-label", title || panel.row_title + " × " + panel.col_title);
    Object.assign(grid.style, {
      left: `${area.left * 100}%`,
      top: `${area.top * 100}%`,
      width: `${area.width * 100}%`,
      height: `${area.height * 100}%`,
      gridTemplateColumns: `repeat(${nCols}, 1fr)`,
      gridTemplateRows: `repeat(${nRows}, 1fr)`,
    });
    const cells = [];
    for (let row = 0; row < nRows; row++) {
      const rowElement = document.createElement("div");
      rowElement.setAttribute("role", "row");
      rowElement.className = "heatmap-row";
      for (let col = 0; col < nCols; col++) {
        const cell = document.createElement("div");
        cell.className = "heatmap-cell";
        cell.setAttribute("role", "gridcell");
        cell.tabIndex = row === 0 && col === 0 ? 0 : -1;
        cell.dataset.row = row;
        cell.dataset.col = col;
        cell.setAttribute("aria-label", describe(panel, row, col, title).join(", "));
        rowElement.appendChild(cell);
        cells.push(cell);
      }
      grid.appendChild(rowElement);
    }

    const at = (row, col) => cells[row * nCols + col];
    const show = (cell) => {
      const row = Number(cell.dataset.row);
      const col = Number(cell.dataset.col);
      for (const other of cells) {
        other.classList.toggle("in-row", Number(other.dataset.row) === row);
        other.classList.toggle("is-active", other === cell);
      }
      tip.replaceChildren();
      for (const line of describe(panel, row, col, title)) {
        const span = document.createElement("span");
        span.textContent = line;
        tip.appendChild(span);
      }
      tip.hidden = false;
      const frameBox = frame.getBoundingClientRect();
      const cellBox = cell.getBoundingClientRect();
      const left = cellBox.left - frameBox.left + cellBox.width / 2;
      tip.style.left = `${Math.min(Math.max(left, 0), frameBox.width)}px`;
      tip.style.top = `${cellBox.bottom - frameBox.top + 6}px`;
      tip.classList.toggle("flip", left > frameBox.width / 2);
    };
    const hide = () => {
      for (const other of cells) other.classList.remove("in-row", "is-active");
      tip.hidden = true;
    };

    grid.addEventListener("pointerover", (event) => {
      if (event.target.classList.contains("heatmap-cell")) show(event.target);
    });
    grid.addEventListener("pointerleave", hide);
    grid.addEventListener("focusin", (event) => show(event.target));
    grid.addEventListener("focusout", (event) => {
      if (!grid.contains(event.relatedTarget)) hide();
    });
    grid.addEventListener("keydown", (event) => {
      const cell = event.target;
      let row = Number(cell.dataset.row);
      let col = Number(cell.dataset.col);
      const moves = {
        ArrowUp: [-1, 0],
        ArrowDown: [1, 0],
        ArrowLeft: [0, -1],
        ArrowRight: [0, 1],
      };
      if (event.key === "Escape") {
        hide();
        return;
      }
      if (event.key === "Home") col = 0;
      else if (event.key === "End") col = nCols - 1;
      else if (moves[event.key]) {
        row = Math.min(Math.max(row + moves[event.key][0], 0), nRows - 1);
        col = Math.min(Math.max(col + moves[event.key][1], 0), nCols - 1);
      } else return;
      event.preventDefault();
      const next = at(row, col);
      cell.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    });
    return grid;
  }

  async function enhance(figure) {
    if (figure.dataset.interactive) return;
    figure.dataset.interactive = "pending";
    const response = await fetch(figure.dataset.figure);
    if (!response.ok) throw new Error(`${figure.dataset.figure}: HTTP ${response.status}`);
    const data = await response.json();
    const panels = data.kind === "heatmap" ? [data] : data.kind === "grid" ? data.panels : [];
    if (!panels.length) {
      figure.dataset.interactive = "static";
      return;
    }
    const images = figure.querySelectorAll(":scope > img, :scope > p > img");
    const frame = document.createElement("div");
    frame.className = "heatmap-frame";
    images[0].before(frame);
    for (const image of images) frame.appendChild(image);
    const tip = document.createElement("div");
    tip.className = "heatmap-tip";
    tip.setAttribute("role", "status");
    tip.hidden = true;
    panels.forEach((panel, index) => {
      const title = data.kind === "grid" ? data.titles[index] : null;
      frame.appendChild(buildGrid(frame, tip, panel, data.areas[index], title));
    });
    frame.appendChild(tip);
    figure.dataset.interactive = "ready";
  }

  function enhanceAll() {
    for (const figure of document.querySelectorAll("figure[data-figure]")) {
      enhance(figure).catch((error) => {
        figure.dataset.interactive = "failed";
        console.error(`figure ${figure.id}: ${error.message}`);
      });
    }
  }

  // Material's instant navigation swaps pages without a load event; document$ fires for each.
  if (typeof document$ !== "undefined") document$.subscribe(enhanceAll);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhanceAll);
  else enhanceAll();
})();
