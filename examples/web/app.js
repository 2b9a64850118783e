// The dcm example page: plain ESM, no bundler. Loads the compiled client
// runtime from the server (<prefix>/runtime/client/index.js), lists the
// fragments of the served dist, calls them with JSON arguments, shows where
// each call ran and how long it took, and moves fragments between client and
// server through the REST API (the API key is pasted by the user, never
// embedded).
//
// Query parameters: ?executor=worker|in-thread  ?workers=<n>

const PREFIX = document.querySelector('meta[name="dcm-prefix"]')?.content ?? "/dcm";
const params = new URLSearchParams(location.search);
const { createClient, parseJsonArgs, toCanonicalJson, tokenClientId } = await import(`${PREFIX}/runtime/client/index.js`);

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
};

// ---- tokens: a session once, then refresh (keeps the client id, and with it the distribution) ----

let haveSession = false;
async function post(path) {
  const res = await fetch(`${PREFIX}/auth/${path}`, { method: "POST", credentials: "same-origin" });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}
async function getToken() {
  if (haveSession) {
    const r = await post("refresh");
    if (r.ok) return r.body.accessToken;
  }
  const r = await post("session");
  if (!r.ok) throw new Error(`session refused: ${r.status} ${r.body?.error?.message ?? ""}`);
  haveSession = true;
  return r.body.accessToken;
}

// ---- value display ----

function typeText(t) {
  switch (t.kind) {
    case "int":
      return `${t.signed ? "int" : "uint"}${t.bits}`;
    case "float":
      return `float${t.bits}`;
    case "list":
      return `[]${typeText(t.elem)}`;
    case "array":
      return `[${t.length}]${typeText(t.elem)}`;
    case "map":
      return `map[${typeText(t.key)}]${typeText(t.value)}`;
    case "record":
      return t.name;
    case "optional":
      return `*${typeText(t.inner)}`;
    default:
      return t.kind;
  }
}

function signatureText(sig) {
  const ps = sig.params.map((p) => `${p.name} ${p.variadic ? `...${typeText(p.type.elem ?? p.type)}` : typeText(p.type)}`).join(", ");
  const rs = [...sig.results.map(typeText), ...(sig.error ? ["error"] : [])];
  return `(${ps})${rs.length === 0 ? "" : rs.length === 1 ? ` ${rs[0]}` : ` (${rs.join(", ")})`}`;
}

/** Example arguments for a signature, so that every row can be called at once. */
function sample(t, types, depth = 0) {
  switch (t.kind) {
    case "bool":
      return true;
    case "int":
      return 2;
    case "float":
      return 1.5;
    case "string":
      return "hello";
    case "bytes":
      return "aGk=";
    case "list":
      return depth > 2 ? [] : [sample(t.elem, types, depth + 1)];
    case "array":
      return Array.from({ length: t.length }, () => sample(t.elem, types, depth + 1));
    case "map":
      return {};
    case "record": {
      const def = types[t.name];
      if (!def || depth > 2) return {};
      return Object.fromEntries(def.fields.map((f) => [f.jsonName, sample(f.type, types, depth + 1)]));
    }
    case "optional":
      return null;
    default:
      return null;
  }
}

function resultJson(value, sig, types) {
  return toCanonicalJson(value, sig.results, types);
}

// ---- the client ----

const executor = params.get("executor") === "in-thread" ? "in-thread" : "worker";
const workers = Number(params.get("workers")) || undefined;
const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${PREFIX}/ws`;
const client = await createClient({
  url: wsUrl,
  getToken,
  manifestUrl: `${PREFIX}/dist/manifest.json`,
  executor,
  ...(workers ? { workers } : {}),
});
const manifest = client.manifest;
const callable = manifest.fragments.filter((f) => f.signature);
$("#executor").textContent = `${client.executor.kind}${client.executor.size ? ` (${client.executor.size} workers)` : ""}`;

const rows = new Map();

function renderStatus() {
  const d = client.distribution;
  $("#state").textContent = client.state === "open" && !d.connected ? "open (waiting for the distribution)" : client.state;
  $("#client-id").textContent = client.clientId ?? "–";
  $("#version").textContent = d.version ?? "– (running everything locally)";
  for (const f of callable) {
    const row = rows.get(f.id);
    const side = client.where(f.id);
    row.location.textContent = side;
    row.location.className = `side-${side}`;
    row.toggle.textContent = `move to ${side === "client" ? "server" : "client"}`;
    row.toggle.disabled = !d.connected;
    row.toggle.title = d.connected ? "" : "not connected: fragments run locally until the server is back";
  }
}

async function callRow(f) {
  const row = rows.get(f.id);
  row.result.className = "result";
  row.result.textContent = "…";
  try {
    const args = parseJsonArgs(row.args.value, f.signature, manifest.types, f.id);
    const r = await client.callWithInfo(f.id, args);
    row.result.textContent = resultJson(r.value, f.signature, manifest.types);
    row.ranOn.textContent = r.ranOn + (r.retried ? " (retried)" : "");
    row.ranOn.className = `side-${r.ranOn}`;
    row.ms.textContent = `${r.ms.toFixed(r.ms < 10 ? 3 : 1)} ms`;
    return { ok: true, json: row.result.textContent, ranOn: r.ranOn, ms: r.ms };
  } catch (e) {
    row.result.className = "result err";
    row.result.textContent = `${e.code ?? e.name}: ${e.message}`;
    row.ranOn.textContent = "";
    row.ms.textContent = "";
    return { ok: false, code: e.code ?? e.name, message: e.message };
  }
}

/** Moves a fragment for this client through the REST API; the server pushes updateFragments. */
async function moveFragment(id, side) {
  const key = $("#api-key").value.trim();
  if (!key) throw new Error("paste an API key first");
  if (!client.clientId) throw new Error("no client id yet");
  const res = await fetch(`${PREFIX}/api/clients/${encodeURIComponent(client.clientId)}/fragments/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ runOn: side }),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(`${res.status} ${body?.error?.code ?? ""} ${body?.error?.message ?? ""}`.trim());
  }
  return res.json();
}

for (const f of callable) {
  const defaults = JSON.stringify(f.signature.params.map((p) => sample(p.variadic ? p.type.elem : p.type, manifest.types)));
  const row = {
    args: el("input", { className: "args", value: defaults, spellcheck: false }),
    call: el("button", { textContent: "call" }),
    result: el("td", { className: "result" }),
    ranOn: el("td"),
    ms: el("td"),
    location: el("span"),
    toggle: el("button"),
  };
  rows.set(f.id, row);
  row.call.addEventListener("click", () => callRow(f));
  row.args.addEventListener("keydown", (e) => e.key === "Enter" && callRow(f));
  row.toggle.addEventListener("click", async () => {
    $("#error").textContent = "";
    try {
      await moveFragment(f.id, client.where(f.id) === "client" ? "server" : "client");
    } catch (e) {
      $("#error").textContent = `moving ${f.id}: ${e.message}`;
    }
  });
  const tr = el(
    "tr",
    { id: `row-${f.id}` },
    el("td", {}, el("code", { textContent: f.id }), el("div", { className: "hint", textContent: `${f.symbol} · ${f.language}` })),
    el("td", { className: "sig", textContent: signatureText(f.signature) }),
    el("td", {}, row.args),
    el("td", {}, row.call),
    row.result,
    row.ranOn,
    row.ms,
    el("td", {}, row.location, " ", row.toggle),
  );
  $("#fragments tbody").append(tr);
  $("#bench-fragment").append(el("option", { value: f.id, textContent: f.id }));
}

client.on("distribution", renderStatus);
client.on("connection", renderStatus);
let benchRunning = false;
client.on("call", (r) => {
  if (benchRunning) return;
  const li = el("li", {
    textContent: `${r.fragment} on ${r.ranOn}${r.retried ? " (retried)" : ""}: ${r.ok ? "ok" : r.error} in ${r.ms.toFixed(3)} ms`,
  });
  $("#log").prepend(li);
  while ($("#log").children.length > 50) $("#log").lastChild.remove();
});
renderStatus();
setInterval(async () => {
  if (!client.connected) return;
  try {
    $("#rtt").textContent = `${(await client.ping()).toFixed(2)} ms`;
  } catch {
    $("#rtt").textContent = "–";
  }
}, 5000);

// ---- warm call overhead ----

/** Sequential warm calls; µs per call through the client distributor and straight into the executor. */
async function bench(id, argsJson, n = 2000) {
  const f = manifest.fragments.find((x) => x.id === id);
  const args = parseJsonArgs(argsJson, f.signature, manifest.types, id);
  // The call log is not drawn while measuring: it would measure the DOM.
  benchRunning = true;
  try {
    for (let i = 0; i < Math.min(200, n); i++) await client.call(id, args);
    let t0 = performance.now();
    for (let i = 0; i < n; i++) await client.call(id, args);
    const viaClient = ((performance.now() - t0) * 1000) / n;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await client.executor.call(id, args);
    const viaExecutor = ((performance.now() - t0) * 1000) / n;
    // Per-call times straight into the executor, for the median (performance.now() is 5 µs-fine when cross-origin isolated).
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await client.executor.call(id, args);
      times[i] = (performance.now() - t) * 1000;
    }
    times.sort();
    return {
      fragment: id,
      ranOn: client.where(id),
      executor: client.executor.kind,
      n,
      usPerCall: viaClient,
      usPerExecutorCall: viaExecutor,
      usMedianExecutorCall: times[n >> 1],
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      fastCalls: client.executor.fastCalls ?? 0,
    };
  } finally {
    benchRunning = false;
  }
}

$("#bench").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await bench($("#bench-fragment").value, $("#bench-args").value, Number($("#bench-n").value)).catch((x) => ({ error: x.message }));
  $("#bench-out").textContent = r.error
    ? r.error
    : `${r.usPerCall.toFixed(1)} µs/call through the client (${r.ranOn}, ${r.executor}); ${r.usPerExecutorCall.toFixed(1)} µs straight into the executor`;
});

// For tests and the console.
window.dcmDemo = {
  client,
  getToken,
  tokenClientId,
  callJson: (id, argsJson) => {
    rows.get(id).args.value = argsJson;
    return callRow(manifest.fragments.find((f) => f.id === id));
  },
  moveFragment,
  bench,
};
document.body.dataset.ready = "true";
