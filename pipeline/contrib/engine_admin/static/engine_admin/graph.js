/* The graph page of the engine admin: draws a run as SVG and keeps its states current.
 *
 * The server sends each pipeline's nodes with a rank (column) and a row (line); this script turns them
 * into pixels with the sizes of what it draws, so an expanded subprocess grows in place. While the run is
 * live it polls the states JSON and recolours nodes and flows without redrawing; a click on a node loads
 * its side panel. No dependencies, no build step.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var SIZES = { activity: [140, 44], event: [34, 34], gateway: [40, 40] };
  var GAP_X = 46, GAP_Y = 26, PAD = 14, HEAD = 22, BACK_MARGIN = 22;
  var EXPAND_ALL_UP_TO = 300; // nodes: bigger runs open with their subprocesses collapsed
  var GATEWAY_MARKS = {
    ExclusiveGateway: "×", ParallelGateway: "+", ConditionalParallelGateway: "◇", ConvergeGateway: "⋈"
  };

  var app = document.getElementById("graph-app");
  if (!app) { return; }
  var canvas = document.getElementById("graph-canvas");
  var panel = document.getElementById("panel");
  var statusLine = document.getElementById("graph-status");
  var pollMs = parseInt(app.dataset.pollMs || "2000", 10);

  var graph = null;       // the structure (pipelines, nodes) from data/
  var live = null;        // the states from data/ then states/
  var expanded = {};      // subprocess node id -> true
  var selected = null;    // node id of the side panel
  var panelSignature = "";
  var scale = 1;
  var size = { w: 0, h: 0 };
  var nodeEls = {}, flowEls = {};
  var pollTimer = null, failures = 0;

  function svg(name, attrs) {
    var el = document.createElementNS(SVG_NS, name);
    for (var key in attrs) { if (attrs[key] !== undefined) { el.setAttribute(key, attrs[key]); } }
    return el;
  }

  function kind(type) {
    if (/Event$/.test(type)) { return "event"; }
    if (/Gateway$/.test(type)) { return "gateway"; }
    return "activity";
  }

  function shorten(text, length) {
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function setStatus(text) { statusLine.textContent = text; }

  // ---- layout: ranks and rows to pixels --------------------------------------------------------------

  function measure(pipelineId) {
    var pipeline = graph.pipelines[pipelineId];
    var boxes = {}, colW = {}, rowH = {}, hasBack = false;
    pipeline.nodes.forEach(function (id) {
      var node = graph.nodes[id], box;
      if (node.children && expanded[id] && graph.pipelines[node.children]) {
        var inner = measure(node.children);
        box = { w: Math.max(inner.w + 2 * PAD, SIZES.activity[0]), h: inner.h + 2 * PAD + HEAD, inner: inner };
      } else {
        var wh = SIZES[kind(node.type)];
        box = { w: wh[0], h: wh[1] };
      }
      boxes[id] = box;
      colW[node.rank] = Math.max(colW[node.rank] || 0, box.w);
      rowH[node.row] = Math.max(rowH[node.row] || 0, box.h);
    });
    pipeline.flows.forEach(function (flow) { if (flow.back) { hasBack = true; } });
    var colX = offsets(colW, GAP_X), rowY = offsets(rowH, GAP_Y);
    pipeline.nodes.forEach(function (id) {
      var node = graph.nodes[id], box = boxes[id];
      box.x = colX.at[node.rank] + (colW[node.rank] - box.w) / 2;
      box.y = rowY.at[node.row] + (rowH[node.row] - box.h) / 2;
    });
    return { w: colX.total, h: rowY.total + (hasBack ? BACK_MARGIN : 0), boxes: boxes };
  }

  function offsets(sizes, gap) {
    var keys = Object.keys(sizes).map(Number).sort(function (a, b) { return a - b; });
    var at = {}, position = 0;
    keys.forEach(function (key) { at[key] = position; position += sizes[key] + gap; });
    return { at: at, total: Math.max(0, position - gap) };
  }

  function route(source, target, back, height) {
    var sy = source.y + source.h / 2, ty = target.y + target.h / 2;
    if (back) {
      var below = height - BACK_MARGIN / 2;
      return "M" + (source.x + source.w / 2) + "," + (source.y + source.h) + "V" + below +
        "H" + (target.x + target.w / 2) + "V" + (target.y + target.h + 2);
    }
    var sx = source.x + source.w, tx = target.x;
    if (Math.abs(sy - ty) < 1) { return "M" + sx + "," + sy + "H" + (tx - 2); }
    // Leave along the source's row, turn just before the target's column.
    var bend = Math.max(sx + 8, tx - GAP_X / 2);
    return "M" + sx + "," + sy + "H" + bend + "L" + (tx - 2) + "," + ty;
  }

  // ---- drawing ---------------------------------------------------------------------------------------

  function render() {
    var started = performance.now();
    delete app.dataset.paintedMs;
    var layout = measure(graph.root_id);
    nodeEls = {};
    flowEls = {};
    size = { w: layout.w + 2 * PAD, h: layout.h + 2 * PAD };
    var root = svg("svg", { id: "graph-svg", viewBox: "0 0 " + size.w + " " + size.h, role: "img" });
    root.appendChild(defs());
    var top = svg("g", { transform: "translate(" + PAD + "," + PAD + ")" });
    drawPipeline(graph.root_id, top, layout);
    root.appendChild(top);
    canvas.replaceChildren(root);
    applyZoom();
    if (live) { applyStates(live); }
    if (selected && nodeEls[selected]) { nodeEls[selected].classList.add("selected"); }
    var took = performance.now() - started;
    // Read by the browser tests and the benchmark figures: the script's time to build the drawing.
    app.dataset.renderMs = took.toFixed(1);
    app.dataset.drawnNodes = String(Object.keys(nodeEls).length);
    // The frame after next is the first painted with the new drawing: this time adds style, layout, paint.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        app.dataset.paintedMs = (performance.now() - started).toFixed(1);
        app.dataset.ready = "true";
      });
    });
    return took;
  }

  function defs() {
    var d = svg("defs", {});
    [["arrow", "arrow"], ["arrow-taken", "arrow taken"]].forEach(function (pair) {
      var marker = svg("marker", {
        id: pair[0], viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7",
        orient: "auto-start-reverse"
      });
      marker.appendChild(svg("path", { d: "M0,0L10,5L0,10z", "class": pair[1] }));
      d.appendChild(marker);
    });
    return d;
  }

  function drawPipeline(pipelineId, group, layout) {
    var pipeline = graph.pipelines[pipelineId];
    pipeline.flows.forEach(function (flow) {
      var source = layout.boxes[flow.source], target = layout.boxes[flow.target];
      if (!source || !target) { return; }
      var path = svg("path", {
        d: route(source, target, flow.back, layout.h), "class": "flow" + (flow.back ? " back" : ""),
        id: "flow-" + flow.id, "data-flow-id": flow.id, "marker-end": "url(#arrow)"
      });
      group.appendChild(path);
      flowEls[flow.id] = path;
    });
    pipeline.nodes.forEach(function (id) { drawNode(id, group, layout.boxes[id]); });
  }

  function drawNode(id, group, box) {
    var node = graph.nodes[id], k = kind(node.type);
    var g = svg("g", {
      "class": "node kind-" + k + (node.children ? " sub" : ""), id: "gnode-" + id, "data-node-id": id,
      "data-type": node.type, transform: "translate(" + box.x + "," + box.y + ")", tabindex: "0"
    });
    var title = svg("title", {});
    title.textContent = (node.name || node.type) + "\n" + node.type + (node.code ? " · " + node.code : "") + "\n" + id;
    g.appendChild(title);
    if (k === "event") {
      g.appendChild(svg("circle", {
        "class": "shape" + (/End/.test(node.type) ? " end" : ""), cx: box.w / 2, cy: box.h / 2, r: box.w / 2
      }));
      label(g, node.name || (/End/.test(node.type) ? "end" : "start"), box.w / 2, box.h + 12, "below", 18);
    } else if (k === "gateway") {
      var half = box.w / 2;
      g.appendChild(svg("polygon", {
        "class": "shape", points: half + ",0 " + box.w + "," + half + " " + half + "," + box.h + " 0," + half
      }));
      label(g, GATEWAY_MARKS[node.type] || "?", half, half + 5, "mark", 3);
      if (node.name) { label(g, node.name, half, box.h + 12, "below", 18); }
    } else {
      g.appendChild(svg("rect", { "class": "shape", width: box.w, height: box.h, rx: 6, ry: 6 }));
      if (box.inner) {
        label(g, "− " + (node.name || "subprocess"), 8, 15, "head toggle", 28);
        var inner = svg("g", { "class": "children", transform: "translate(" + PAD + "," + (PAD + HEAD) + ")" });
        drawPipeline(node.children, inner, box.inner);
        g.appendChild(inner);
      } else {
        label(g, node.name || node.type, box.w / 2, 19, "name", 20);
        label(g, node.children ? "+ subprocess" : (node.code || node.type), box.w / 2, 35,
          "sub-label" + (node.children ? " toggle" : ""), 24);
      }
    }
    var badges = svg("text", { "class": "badges", x: box.w - 2, y: -3 });
    g.appendChild(badges);
    group.appendChild(g);
    nodeEls[id] = g;
  }

  function label(g, text, x, y, cls, length) {
    var t = svg("text", { x: x, y: y, "class": "label " + cls });
    t.textContent = shorten(text, length);
    g.appendChild(t);
  }

  // ---- states ----------------------------------------------------------------------------------------

  function applyStates(states) {
    live = states;
    var pipelineState = document.getElementById("pipeline-state");
    pipelineState.textContent = states.state;
    pipelineState.className = "state state-" + states.state;
    app.dataset.state = states.state;
    for (var id in nodeEls) {
      var entry = states.nodes[id], el = nodeEls[id];
      el.setAttribute("data-state", entry ? entry.state : "");
      el.classList.toggle("skipped", !!(entry && entry.skip));
      el.classList.toggle("retried", !!(entry && entry.retry));
      var marks = [];
      if (entry && entry.retry) { marks.push("↻" + entry.retry); }
      if (entry && entry.skip) { marks.push("⤼ skipped"); }
      if (entry && entry.loop) { marks.push("×" + entry.loop); }
      if (entry && entry.error_ignored) { marks.push("error ignored"); }
      el.querySelector(":scope > .badges").textContent = marks.join(" ");
    }
    var taken = {};
    states.taken.forEach(function (flowId) { taken[flowId] = true; });
    for (var flowId in flowEls) {
      var isTaken = !!taken[flowId];
      flowEls[flowId].classList.toggle("taken", isTaken);
      flowEls[flowId].setAttribute("marker-end", isTaken ? "url(#arrow-taken)" : "url(#arrow)");
    }
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    if (live && live.settled) {
      setStatus(describe() + " · run " + live.state.toLowerCase() + ", not refreshing");
      app.dataset.polling = "stopped";
      return;
    }
    app.dataset.polling = "on";
    pollTimer = setTimeout(poll, pollMs * Math.min(1 + failures, 5));
  }

  function poll() {
    getJson(app.dataset.statesUrl).then(function (states) {
      failures = 0;
      applyStates(states);
      setStatus(describe() + " · refreshed " + new Date().toLocaleTimeString());
      if (selected && signature(selected) !== panelSignature) { loadPanel(selected); }
    }, function (error) {
      failures += 1;
      setStatus("refresh failed: " + error.message + " (retrying)");
    }).then(schedulePoll);
  }

  function signature(id) {
    return JSON.stringify(live && live.nodes[id] || null);
  }

  function describe() {
    return graph.node_count + " nodes";
  }

  // ---- side panel ------------------------------------------------------------------------------------

  function select(id) {
    if (selected && nodeEls[selected]) { nodeEls[selected].classList.remove("selected"); }
    selected = id;
    if (nodeEls[id]) { nodeEls[id].classList.add("selected"); }
    if (location.hash !== "#" + id) { history.replaceState(null, "", "#" + id); }
    loadPanel(id);
  }

  function loadPanel(id) {
    panelSignature = signature(id);
    panel.dataset.loading = id;
    getJson(app.dataset.nodeUrl.replace("NODE_ID", encodeURIComponent(id))).then(function (data) {
      if (selected === id) { showPanel(data); }
    }, function (error) {
      panel.replaceChildren(element("p", "error", "could not load the node: " + error.message));
    });
  }

  function showPanel(data) {
    var parts = [];
    var head = element("h2", "", data.name || data.type);
    head.id = "panel-name";
    parts.push(head);
    parts.push(element("p", "muted", data.type + (data.code ? " · " + data.code + (data.version ? " " + data.version : "") : "")));
    parts.push(element("p", "id", data.node_id));
    var state = data.state;
    var stateLine = element("p", "", "");
    var badge = element("span", "state state-" + (state ? state.name : "none"), state ? state.name : "not reached");
    badge.id = "panel-state";
    stateLine.appendChild(badge);
    parts.push(stateLine);
    if (state) {
      parts.push(table("panel-timings", [
        ["started", state.started_time], ["ended", state.archived_time],
        ["duration", state.duration_s === null ? "" : state.duration_s + " s"],
        ["loop", state.loop], ["retries", state.retry], ["skipped", state.skip ? "yes" : "no"],
        ["error ignored", state.error_ignored ? "yes" : "no"], ["version", state.version]
      ].concat(data.attempt ? [["attempt", data.attempt]] : [])));
    }
    if (data.ex_data) { parts.push(section("ex_data", "panel-ex-data", data.ex_data, "error")); }
    var inputsTitle = data.data_source === "configured" ? "inputs (configured, not run yet)" : "inputs";
    parts.push(section(inputsTitle, "panel-inputs", data.inputs));
    parts.push(section("outputs", "panel-outputs", data.outputs));
    parts.push(histories(data.histories));
    parts.push(logs(data.logs, data.logs_truncated));
    var link = element("a", "", "actions in the console");
    link.href = app.dataset.consoleUrl + "#node-" + data.node_id;
    var linkLine = element("p", "", "");
    linkLine.appendChild(link);
    parts.push(linkLine);
    panel.replaceChildren.apply(panel, parts);
    panel.dataset.nodeId = data.node_id;
    delete panel.dataset.loading;
  }

  function element(name, cls, text) {
    var el = document.createElement(name);
    if (cls) { el.className = cls; }
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }

  function pretty(value) {
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  function section(title, id, value, cls) {
    var box = element("section", "panel-section", "");
    box.appendChild(element("h3", "", title));
    var pre = element("pre", cls || "", value === null || value === undefined ? "—" : pretty(value));
    pre.id = id;
    box.appendChild(pre);
    return box;
  }

  function table(id, rows) {
    var t = element("table", "kv", "");
    t.id = id;
    rows.forEach(function (row) {
      var tr = element("tr", "", "");
      tr.appendChild(element("th", "", row[0]));
      tr.appendChild(element("td", "", row[1] === null || row[1] === undefined ? "—" : row[1]));
      t.appendChild(tr);
    });
    return t;
  }

  function histories(items) {
    var box = element("section", "panel-section", "");
    box.id = "panel-histories";
    box.appendChild(element("h3", "", "histories (" + items.length + ")"));
    items.forEach(function (item) {
      var details = element("details", "history", "");
      details.appendChild(element("summary", "", "loop " + item.loop + " · retry " + item.retry +
        (item.skip ? " · skipped" : "") + " · " + (item.started_time || "") +
        (item.duration_s === null ? "" : " · " + item.duration_s + " s")));
      if (item.ex_data) { details.appendChild(element("pre", "error", item.ex_data)); }
      details.appendChild(element("pre", "", "inputs: " + pretty(item.inputs)));
      details.appendChild(element("pre", "", "outputs: " + pretty(item.outputs)));
      box.appendChild(details);
    });
    return box;
  }

  function logs(items, truncated) {
    var box = element("section", "panel-section", "");
    box.appendChild(element("h3", "", "logs (" + items.length + (truncated ? ", newest only" : "") + ")"));
    var pre = element("pre", "logs", items.map(function (log) {
      return log.logged_at + " " + log.level + " " + log.message;
    }).join("\n") || "—");
    pre.id = "panel-logs";
    box.appendChild(pre);
    return box;
  }

  // ---- interaction -----------------------------------------------------------------------------------

  function applyZoom() {
    var el = document.getElementById("graph-svg");
    if (!el) { return; }
    el.setAttribute("width", Math.round(size.w * scale));
    el.setAttribute("height", Math.round(size.h * scale));
  }

  /** Scales the drawing to the canvas's width, down to ``smallest`` (a huge run is scrolled instead). */
  function fit(smallest) {
    var room = canvas.clientWidth - 24; // the canvas's padding and a vertical scroll bar
    var lowest = typeof smallest === "number" ? smallest : 0.1;
    scale = size.w > room ? Math.max(room / size.w, lowest) : 1;
    applyZoom();
  }

  /** Expands the subprocesses around ``id`` (a node asked for in the URL may be deep inside one). */
  function reveal(id) {
    var node = graph.nodes[id];
    while (node && node.pipeline && node.pipeline !== graph.root_id && graph.nodes[node.pipeline]) {
      expanded[node.pipeline] = true;
      node = graph.nodes[node.pipeline];
    }
  }

  function setExpanded(value) {
    expanded = {};
    if (value) {
      for (var id in graph.nodes) { if (graph.nodes[id].children) { expanded[id] = true; } }
    }
    render();
  }

  canvas.addEventListener("click", function (event) {
    var target = event.target.closest("[data-node-id]");
    if (!target) { return; }
    var id = target.getAttribute("data-node-id");
    if (event.target.closest(".toggle") && graph.nodes[id].children) {
      expanded[id] = !expanded[id];
      render();
      return;
    }
    select(id);
  });
  canvas.addEventListener("keydown", function (event) {
    var target = event.target.closest && event.target.closest("[data-node-id]");
    if (target && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(target.getAttribute("data-node-id"));
    }
  });
  document.getElementById("expand-all").addEventListener("click", function () { setExpanded(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setExpanded(false); });
  document.getElementById("zoom-in").addEventListener("click", function () { scale = Math.min(scale * 1.25, 4); applyZoom(); });
  document.getElementById("zoom-out").addEventListener("click", function () { scale = Math.max(scale / 1.25, 0.05); applyZoom(); });
  document.getElementById("zoom-fit").addEventListener("click", fit);

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().catch(function () { return { result: false, message: "HTTP " + response.status }; });
    }).then(function (body) {
      if (!body.result) { throw new Error(body.message || "refused"); }
      return body.data;
    });
  }

  // ---- start -----------------------------------------------------------------------------------------

  var fetchStarted = performance.now();
  getJson(app.dataset.dataUrl).then(function (data) {
    var fetched = performance.now();
    graph = data;
    live = data.live;
    if (graph.node_count <= EXPAND_ALL_UP_TO) {
      for (var id in graph.nodes) { if (graph.nodes[id].children) { expanded[id] = true; } }
    }
    var wanted = location.hash.slice(1);
    reveal(wanted);
    render();
    fit(0.6); // shrink a run that almost fits; a long one opens at a readable size, scrolled
    app.dataset.fetchMs = (fetched - fetchStarted).toFixed(1);
    if (wanted && graph.nodes[wanted]) { select(wanted); }
    setStatus(describe() + " · drawn in " + app.dataset.renderMs + " ms");
    schedulePoll();
  }, function (error) {
    setStatus("could not load the graph: " + error.message);
    app.dataset.error = error.message;
  });
})();
