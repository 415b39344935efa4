/* rusfokus live apps: the widgets of a Voilà app, without the JupyterLab front end.
 *
 * Voilà's own page boots a JupyterLab application (about 60 scripts and the
 * widget-manager extensions) before it opens the kernel. An app page here only
 * needs three things: a connection to the kernel Voilà already started and ran
 * the notebook in, the widget models' state from that kernel, and views for
 * the widget outputs in the page. This file does exactly that with
 * @jupyterlab/services' kernel connection and the @jupyter-widgets base
 * manager and controls (built by esbuild into assets/live/, served by
 * `rusfokus serve` at /rusfokus/live/).
 *
 * The page (template src/rusfokus/server/templates/rusfokus/index.html.j2)
 * holds the kernel id in <script id="rf-live-config">, and one
 * <script type="application/vnd.jupyter.widget-view+json"> per widget output.
 */
import { CommsOverSubshells } from "@jupyterlab/services/lib/kernel/comm";
import { KernelConnection } from "@jupyterlab/services/lib/kernel/default";
import { ServerConnection } from "@jupyterlab/services/lib/serverconnection";
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import * as controls from "@jupyter-widgets/controls";
import * as output from "@jupyter-widgets/output";

import "./live.css";

const VIEW_MIME = "application/vnd.jupyter.widget-view+json";
// If the widgets are not shown by then, say so (the page keeps trying).
const START_NOTICE_MS = 20000;

// WCAG 2.2.1: an app nobody has used for the server's idle time (RUSFOKUS_CULL_IDLE) lets its
// kernel go, so the server has room for others; the learner is warned before and can say "Fortsæt".
const WARN_BEFORE_MS = 120000;
const STATE_KEY = `rf-state:${window.location.pathname}${window.location.search}`;
// The values a learner sets, by widget model: kept in this tab's sessionStorage (never in a URL)
// and set again when the app comes back on a new kernel (after a release, a reload or coming back).
const VALUE_ATTRS = {
  DropdownModel: "index", RadioButtonsModel: "index", ToggleButtonsModel: "index", SelectModel: "index",
  SelectMultipleModel: "index", SelectionSliderModel: "index", IntTextModel: "value", BoundedIntTextModel: "value",
  FloatTextModel: "value", BoundedFloatTextModel: "value", IntSliderModel: "value", FloatSliderModel: "value",
  IntRangeSliderModel: "value", TextModel: "value", TextareaModel: "value", CheckboxModel: "value",
  ToggleButtonModel: "value",
};

const MESSAGES = {
  start: "Appen kunne ikke starte. Genindlæs siden, eller prøv igen om lidt.",
  lost: "Forbindelsen til appen er afbrudt. Genindlæs siden for at fortsætte.",
  dead: "Appen er lukket, fordi den ikke har været brugt i et stykke tid. Genindlæs siden for at fortsætte.",
  idleWarning: "Værktøjet lukker snart, fordi det ikke er blevet brugt i et stykke tid. Dine valg bliver gemt. Vil du fortsætte?",
  idleButton: "Fortsæt",
  released: "Værktøjet holder pause for at give plads til andre. Dine valg er gemt. Tryk på knappen, så åbner det igen.",
  releasedButton: "Åbn værktøjet igen",
  error: "Der skete en fejl i appen. Prøv igen, eller genindlæs siden.",
};

/** nbformat text: a string or a list of strings. */
function text(value) {
  return [].concat(value === undefined ? [] : value).join("");
}

/** One output of an Output widget as DOM. Outputs come from the app's own
 *  kernel code (like the value of an HTML widget); Python errors are never
 *  shown to a learner, only a Danish line. */
function renderOutput(out, showWidget) {
  if (out.output_type === "stream") {
    const pre = document.createElement("pre");
    pre.className = "jp-RenderedText";
    pre.textContent = text(out.text);
    return pre;
  }
  if (out.output_type === "error") {
    const p = document.createElement("p");
    p.className = "rf-live-error";
    p.setAttribute("role", "alert");
    p.textContent = MESSAGES.error;
    return p;
  }
  const data = out.data || {};
  const div = document.createElement("div");
  if (data[VIEW_MIME] !== undefined) {
    showWidget(data[VIEW_MIME].model_id, div);
  } else if (data["text/html"] !== undefined) {
    div.className = "jp-RenderedHTMLCommon jp-RenderedHTML";
    div.innerHTML = text(data["text/html"]);
  } else if (data["image/png"] !== undefined) {
    const img = document.createElement("img");
    img.src = `data:image/png;base64,${text(data["image/png"])}`;
    img.alt = text(data["text/plain"]);
    div.appendChild(img);
  } else if (data["text/plain"] !== undefined) {
    const pre = document.createElement("pre");
    pre.className = "jp-RenderedText";
    pre.textContent = text(data["text/plain"]);
    div.appendChild(pre);
  }
  return div;
}

/** The Output widget: shows its ``outputs``, and captures kernel output while
 *  the kernel is inside ``with out:`` (the kernel sets ``msg_id``). */
class LiveOutputModel extends output.OutputModel {
  initialize(attributes, options) {
    super.initialize(attributes, options);
    this._capture = (_, msg) => {
      const msgId = this.get("msg_id");
      if (!msgId || !msg.parent_header || msg.parent_header.msg_id !== msgId) {
        return;
      }
      const type = msg.header.msg_type;
      let outputs = (this.get("outputs") || []).slice();
      if (type === "clear_output") {
        outputs = [];
      } else if (type === "stream") {
        const last = outputs[outputs.length - 1];
        if (last && last.output_type === "stream" && last.name === msg.content.name) {
          outputs[outputs.length - 1] = { ...last, text: last.text + msg.content.text };
        } else {
          outputs.push({ output_type: "stream", name: msg.content.name, text: msg.content.text });
        }
      } else if (type === "display_data" || type === "execute_result" || type === "error") {
        outputs.push({ output_type: type, ...msg.content });
      } else {
        return;
      }
      this.set("outputs", outputs);
      this.save_changes();
    };
    this.widget_manager.kernel.iopubMessage.connect(this._capture);
    this.once("comm:close", () => this.widget_manager.kernel.iopubMessage.disconnect(this._capture));
  }
}

class LiveOutputView extends output.OutputView {
  render() {
    super.render();
    this.el.classList.add("jupyter-widgets-output-area", "rf-live-output");
    this.listenTo(this.model, "change:outputs", this.update);
    this.update();
  }

  update() {
    const manager = this.model.widget_manager;
    (this._children || []).forEach((view) => view.remove());
    const children = (this._children = []);
    const showWidget = async (modelId, host) => {
      const view = await manager.create_view(await manager.get_model(modelId));
      children.push(view);
      await manager.display_view(view, host);
    };
    const outputs = this.model.get("outputs") || [];
    this.el.replaceChildren(...outputs.map((out) => renderOutput(out, (id, host) => {
      showWidget(id, host).catch((error) => console.error("rusfokus: widget in an output", error));
    })));
  }

  remove() {
    (this._children || []).forEach((view) => view.remove());
    return super.remove();
  }
}

const OUTPUT_MODULE = { OutputModel: LiveOutputModel, OutputView: LiveOutputView };

/** A widget manager that talks to one running kernel. */
class LiveManager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    this.syncModels = new Map();
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) => {
      this.handle_comm_open(new base.shims.services.Comm(comm), msg);
    });
  }

  async loadClass(className, moduleName, moduleVersion) {
    const modules = {
      "@jupyter-widgets/base": base,
      "@jupyter-widgets/controls": controls,
      "@jupyter-widgets/output": OUTPUT_MODULE,
    };
    const module = modules[moduleName];
    if (!module || !module[className]) {
      throw new Error(`Class ${className} not found in module ${moduleName}@${moduleVersion}`);
    }
    return module[className];
  }

  async display_view(view, el) {
    base.JupyterLuminoWidget.attach(view.luminoWidget, el);
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    const shim = new base.shims.services.Comm(comm);
    if (targetName === "jupyter.widget.control") {
      // all widgets' states come in one message, listed in the order the kernel made them:
      // the same order on every new kernel of this app (the key for keeping the learner's values)
      const onMsg = shim.on_msg.bind(shim);
      shim.on_msg = (callback) => onMsg((msg) => {
        const content = (msg && msg.content && msg.content.data) || {};
        if (content.method === "update_states" && content.states) {
          this.commOrder = Object.keys(content.states);
        }
        return callback(msg);
      });
    }
    return shim;
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    const comms = reply.content.status === "ok" ? reply.content.comms : {};
    // the kernel lists its widgets in the order it made them: the same order on every new kernel
    this.commOrder = Object.keys(comms);
    return comms;
  }

  /** The models by id, for reading values synchronously (when the page goes). */
  async indexModels() {
    this.syncModels = new Map();
    await Promise.all((this.commOrder || []).map(async (id) => {
      try {
        this.syncModels.set(id, await this.get_model(id));
      } catch (e) { /* not a widget model */ }
    }));
  }
}

/** The learner's values: [[position, model name, attribute, value], ...] in creation order. */
function collectState(manager) {
  const out = [];
  (manager.commOrder || []).forEach((id, position) => {
    const model = manager.syncModels.get(id);
    if (!model) { return; }
    const name = model.get("_model_name");
    const attr = VALUE_ATTRS[name];
    if (attr) { out.push([position, name, attr, model.get(attr)]); }
  });
  return out;
}

function saveState(manager) {
  try {
    window.sessionStorage.setItem(STATE_KEY, JSON.stringify(collectState(manager)));
  } catch (e) { /* private mode or full: nothing is kept */ }
}

/** Set the saved values again, one after another (the app reacts to each, as if the learner set it). */
async function restoreState(manager) {
  let saved;
  try {
    saved = JSON.parse(window.sessionStorage.getItem(STATE_KEY) || "[]");
  } catch (e) {
    return 0;
  }
  let restored = 0;
  for (const [position, name, attr, value] of Array.isArray(saved) ? saved : []) {
    const id = (manager.commOrder || [])[position];
    const model = id && manager.syncModels.get(id);
    if (!model || model.get("_model_name") !== name || JSON.stringify(model.get(attr)) === JSON.stringify(value)) {
      continue;
    }
    model.set(attr, value);
    model.save_changes();
    restored += 1;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return restored;
}

/** Keep the values in sessionStorage whenever one changes. */
function watchState(manager) {
  let queued = null;
  const later = () => {
    clearTimeout(queued);
    queued = setTimeout(() => saveState(manager), 200);
  };
  (manager.commOrder || []).forEach((id) => {
    const model = manager.syncModels.get(id);
    const attr = model && VALUE_ATTRS[model.get("_model_name")];
    if (attr) { model.on(`change:${attr}`, later); }
  });
}

/** Ask the server to shut down this page's kernel now (the page is going, or the app is idle). */
function releaseKernel(cfg) {
  const url = new URL(`rusfokus/kernel/${cfg.kernelId}/release`, cfg.baseUrl).href;
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([], { type: "text/plain" }))) { return; }
  } catch (e) { /* fall back to fetch */ }
  fetch(url, { method: "POST", credentials: "same-origin", keepalive: true }).catch(() => {});
}

/** A box at the top of the app with a text and one button (the idle warning, the pause). */
function dialogBox(id, text, buttonText, onClick) {
  let box = document.getElementById(id);
  if (box) { return box; }
  box = document.createElement("div");
  box.id = id;
  box.className = "rf-live-idle";
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-labelledby", `${id}-text`);
  const p = document.createElement("p");
  p.id = `${id}-text`;
  p.textContent = text;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "rf-live-idle-button";
  button.textContent = buttonText;
  button.addEventListener("click", onClick);
  box.append(p, button);
  document.body.prepend(box);
  if (document.hasFocus()) { button.focus({ preventScroll: true }); }
  return box;
}

/** The idle rule: a warning WARN_BEFORE_MS before the idle time, then the kernel is let go; the
 *  next click opens the app again with the saved values. Any use of the app counts as activity. */
function watchIdle(cfg, kernel, manager) {
  if (!cfg.idleSeconds) { return; }
  const idleMs = cfg.idleSeconds * 1000;
  const warnAt = idleMs - Math.min(WARN_BEFORE_MS, idleMs / 2);
  let last = Date.now();
  let released = false;
  const active = () => {
    if (released) { return; }
    last = Date.now();
    const warning = document.getElementById("rf-live-idle-warning");
    if (warning) {
      warning.remove();
      kernel.requestKernelInfo().catch(() => {}); // the server sees the kernel in use again
    }
  };
  ["pointerdown", "keydown", "input", "change", "wheel", "touchstart"].forEach((type) => {
    document.addEventListener(type, active, { capture: true, passive: true });
  });
  const timer = setInterval(() => {
    const idle = Date.now() - last;
    if (idle >= idleMs) {
      clearInterval(timer);
      released = true;
      saveState(manager);
      document.getElementById("rf-live-idle-warning")?.remove();
      document.body.classList.add("rf-live-released");
      kernel.dispose();
      releaseKernel(cfg);
      dialogBox("rf-live-released", MESSAGES.released, MESSAGES.releasedButton, () => window.location.reload());
      // the widgets have no kernel now: the next touch of the app (or a key) opens it again
      document.querySelectorAll(".rf-live-widget").forEach((el) => el.setAttribute("inert", ""));
      const again = (event) => {
        event.preventDefault();
        window.location.reload();
      };
      document.addEventListener("pointerdown", again, { capture: true, once: true });
      document.addEventListener("keydown", again, { capture: true, once: true });
    } else if (idle >= warnAt) {
      dialogBox("rf-live-idle-warning", MESSAGES.idleWarning, MESSAGES.idleButton, active);
    }
  }, Math.min(5000, Math.max(500, idleMs / 20)));
}

/** A Danish notice at the top of the page (role=alert); one box, its text replaced. */
function notice(text) {
  let box = document.getElementById("rf-live-notice");
  if (!box) {
    box = document.createElement("div");
    box.id = "rf-live-notice";
    box.className = "rf-live-notice";
    box.setAttribute("role", "alert");
    document.body.prepend(box);
  }
  box.textContent = text;
  document.body.classList.add("rf-live-failed");
}

function clearNotice() {
  const box = document.getElementById("rf-live-notice");
  if (box) {
    box.remove();
  }
  document.body.classList.remove("rf-live-failed");
}

function readConfig() {
  const el = document.getElementById("rf-live-config");
  const cfg = JSON.parse(el.textContent);
  const base = new URL(cfg.baseUrl || "/", window.location.href);
  const ws = new URL(base.href);
  ws.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  const idleSeconds = parseInt(el.getAttribute("data-idle-seconds") || "0", 10) || 0;
  return { kernelId: cfg.kernelId, baseUrl: base.href, wsUrl: ws.href, idleSeconds };
}

async function renderOutputs(manager) {
  const scripts = Array.from(document.querySelectorAll(`script[type="${VIEW_MIME}"]`));
  await Promise.all(scripts.map(async (script) => {
    const { model_id: modelId } = JSON.parse(script.textContent);
    const model = await manager.get_model(modelId);
    const view = await manager.create_view(model);
    const host = document.createElement("div");
    host.className = "rf-live-widget";
    script.parentNode.insertBefore(host, script);
    await manager.display_view(view, host);
  }));
}

/** Wide HTML (a wide table on a phone) scrolls inside its widget (live.css); a box
 * that scrolls must be reachable by keyboard (WCAG 2.1.1), so it gets a tab stop
 * while it scrolls. */
function markScrollables() {
  document.querySelectorAll(".widget-html-content").forEach((el) => {
    const scrolls = el.scrollWidth > el.clientWidth + 1;
    if (scrolls && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
      el.classList.add("rf-scrollable");
    } else if (!scrolls && el.classList.contains("rf-scrollable")) {
      el.removeAttribute("tabindex");
      el.classList.remove("rf-scrollable");
    }
  });
}

/** On a phone a small table (up to four columns, e.g. Min side's modules) that
 * does not fit is shown as one card per row, each value with its column's name (live.css);
 * wider tables scroll instead. The roles keep the table's meaning for screen
 * readers when its CSS display is no longer a table. */
const NARROW = window.matchMedia("(max-width: 600px)");
const STACK_MAX_COLUMNS = 4;

function stackTables() {
  document.querySelectorAll(".rf-live-widget table").forEach((table) => {
    const heads = Array.from(table.querySelectorAll("thead th"));
    const small = heads.length > 1 && heads.length <= STACK_MAX_COLUMNS;
    const box = table.closest(".rf-scroll, .widget-html-content") || table.parentElement;
    const stacked = table.classList.contains("rf-stacked");
    // a table that fits stays a table; one that is stacked stays stacked until the screen widens
    const stack = NARROW.matches && small && (stacked || table.offsetWidth > box.clientWidth + 1);
    if (stack && !stacked) {
      table.setAttribute("role", "table");
      table.querySelectorAll("tr").forEach((tr) => tr.setAttribute("role", "row"));
      heads.forEach((th) => th.setAttribute("role", "columnheader"));
      table.querySelectorAll("tbody tr").forEach((tr) => {
        Array.from(tr.children).forEach((cell, i) => {
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          if (heads[i]) {
            cell.setAttribute("data-label", heads[i].textContent.trim());
          }
        });
      });
      table.classList.add("rf-stacked");
    } else if (!stack && stacked) {
      table.classList.remove("rf-stacked");
    }
  });
}

function watchScrollables() {
  let queued = false;
  const later = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(() => { queued = false; stackTables(); markScrollables(); });
    }
  };
  stackTables();
  markScrollables();
  window.addEventListener("resize", later);
  new MutationObserver(later).observe(document.body, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["style"],
  });
}

async function start() {
  const cfg = readConfig();
  if (!document.querySelector(`script[type="${VIEW_MIME}"]`)) {
    // The kernel ran the app, but no widget reached the page (its output was lost, or the app failed):
    // there is nothing to connect to. Give the kernel back and say so; a reload gets a new one.
    releaseKernel(cfg);
    throw new Error("the page came without the app's widgets");
  }
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: cfg.baseUrl,
    wsUrl: cfg.wsUrl,
    appendToken: false,
  });
  const kernel = new KernelConnection({
    model: { id: cfg.kernelId, name: "python3" },
    serverSettings,
    handleComms: true,
    // Voilà's kernel socket refuses subshell requests; comms use the main shell
    commsOverSubshells: CommsOverSubshells.Disabled,
  });
  // A dropped socket is retried by the kernel connection; if it is not back
  // within two seconds, tell the learner (and take the notice away if it comes back).
  let ready = false;
  let lostTimer = null;
  kernel.connectionStatusChanged.connect((_, status) => {
    if (!ready) {
      return;
    }
    clearTimeout(lostTimer);
    if (status === "connected") {
      clearNotice();
    } else if (status === "disconnected") {
      notice(MESSAGES.lost);
    } else {
      lostTimer = setTimeout(() => notice(MESSAGES.lost), 2000);
    }
  });
  kernel.statusChanged.connect((_, status) => {
    if (status === "dead" || status === "autorestarting" || status === "restarting") {
      notice(MESSAGES.dead);
    }
  });
  const slow = setTimeout(() => notice(MESSAGES.start), START_NOTICE_MS);
  const manager = new LiveManager(kernel);
  window.addEventListener("pagehide", () => {
    // the learner left the page (or the frame was taken away): give the kernel back at once
    saveState(manager);
    kernel.dispose();
    releaseKernel(cfg);
  });
  // back/forward cache: the socket was closed on the way out, so start afresh
  window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
  await manager._loadFromKernel();
  await renderOutputs(manager);
  await manager.indexModels();
  try {
    // the "Der er travlt" page's retry count (rusfokus.server.app.BUSY_SCRIPT): it got its kernel
    window.sessionStorage.removeItem(`rf-busy:${window.location.pathname}${window.location.search}`);
  } catch (e) { /* private mode */ }
  await restoreState(manager);
  watchState(manager);
  clearTimeout(slow);
  clearNotice();
  ready = true;
  document.body.classList.add("rf-live-ready");
  watchScrollables();
  watchIdle(cfg, kernel, manager);
}

start().catch((error) => {
  console.error("rusfokus: the app could not start", error);
  notice(MESSAGES.start);
});
