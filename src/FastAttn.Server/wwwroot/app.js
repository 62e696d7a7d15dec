// FastAttn's web page: no build step. Starts an image job (POST /v1/fastattn/images/jobs), follows its server-sent
// events (progress: step i of n and the preset; then done or error) with fetch so an API key can go in a header, and
// shows the image with the preset, attention FLOPs fraction and time. See docs/http-api.md.
"use strict";

const jobsRoute = "/v1/fastattn/images/jobs";
const $ = (id) => document.getElementById(id);
const percent = (x) => `${(100 * x).toFixed(0)} %`;
let current = null;   // { id, controller } of the running job

function headers(json) {
  const h = json ? { "content-type": "application/json" } : {};
  const key = $("api-key").value.trim();
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.body !== undefined) });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error?.message ?? `${path} answered HTTP ${response.status}`);
  return body;
}

function fill(select, values, selected) {
  select.replaceChildren(...values.map((v) => new Option(v, v, v === selected, v === selected)));
}

async function loadConfig() {
  try {
    const config = await api("/v1/fastattn/config");
    fill($("model"), config.models, config.default_model);
    fill($("preset"), config.presets, config.default_preset);
    $("key-field").hidden = !config.keys_required;
  } catch (e) {
    const models = await api("/v1/models").catch(() => ({ data: [] }));
    fill($("model"), models.data.map((m) => m.id));
    fill($("preset"), ["raw", "D1", "D2", "D3", "D4", "D5", "D6"], "D2");
    setStatus(`Could not read the server's settings: ${e.message}`, true);
  }
}

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function setBusy(busy) {
  $("submit").disabled = busy;
  $("cancel").disabled = !busy;
  document.body.dataset.state = busy ? "running" : document.body.dataset.state;
}

/** Calls onEvent(name, data) for each server-sent event of the stream until it ends. */
async function followEvents(path, signal, onEvent) {
  const response = await fetch(path, { headers: headers(false), signal });
  if (!response.ok || !response.body) throw new Error(`${path} answered HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length && onEvent(name, JSON.parse(data.join("\n")))) return;
    }
  }
}

function describe(info, image) {
  return [
    ["Preset", info.preset + (info.compressed ? "" : " (uncompressed)")],
    ["Attention FLOPs", `${percent(info.attention_flops_fraction)} of full`],
    ["Time", `${info.seconds.toFixed(2)} s`],
    ["Model", info.model],
    ["Size", `${info.width}×${info.height}`],
    ["Seed", String(image.seed)],
  ];
}

function show(result, prompt) {
  const info = result.fastattn;
  const figures = result.data.map((image, i) => {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = image.b64_json ? `data:image/png;base64,${image.b64_json}` : image.url;
    img.alt = `Generated image ${i + 1} for “${prompt}”${image.revised_prompt ? ` (${image.revised_prompt})` : ""}`;
    img.className = "result-image";
    img.dataset.width = info.width;
    img.dataset.height = info.height;
    const facts = document.createElement("dl");
    for (const [term, value] of describe(info, image)) facts.append(Object.assign(document.createElement("dt"), { textContent: term }),
      Object.assign(document.createElement("dd"), { textContent: value }));
    figure.append(img, facts);
    addToGallery(img.src, `${prompt} · ${info.preset} · ${percent(info.attention_flops_fraction)} FLOPs`);
    return figure;
  });
  $("result").replaceChildren(...figures);
}

function addToGallery(src, caption) {
  const item = document.createElement("li");
  const figure = document.createElement("figure");
  const img = Object.assign(document.createElement("img"), { src, alt: caption });
  figure.append(img, Object.assign(document.createElement("figcaption"), { textContent: caption }));
  item.append(figure);
  $("gallery").prepend(item);
}

async function generate(event) {
  event.preventDefault();
  const prompt = $("prompt").value.trim();
  if (!prompt) return;
  const body = { prompt, model: $("model").value, preset: $("preset").value, n: 1, response_format: "b64_json" };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  setBusy(true);
  document.body.dataset.state = "running";
  $("progress").value = 0;
  setStatus("Queued…");
  const controller = new AbortController();
  try {
    const job = await api(jobsRoute, { method: "POST", body: JSON.stringify(body) });
    current = { id: job.id, controller };
    let outcome = null;
    await followEvents(`${jobsRoute}/${encodeURIComponent(job.id)}/events`, controller.signal, (name, data) => {
      if (name === "progress") {
        $("progress").max = data.steps;
        $("progress").value = data.step;
        setStatus(`Step ${data.step} of ${data.steps} (preset ${data.preset})`);
        document.dispatchEvent(new CustomEvent("fastattn:progress", { detail: data }));   // for scripts and tests watching the page
      } else if (name === "done" || name === "error") {
        outcome = { name, data };
        return true;
      }
      return false;
    });
    if (!outcome) throw new Error("The event stream ended before the job did.");
    if (outcome.name === "error") throw new Error(outcome.data?.error?.message ?? "The job failed.");
    const result = outcome.data?.data ? outcome.data : (await api(`${jobsRoute}/${encodeURIComponent(job.id)}`)).result;
    show(result, prompt);
    $("progress").value = $("progress").max;
    setStatus(`Done: ${result.data.length} image(s), preset ${result.fastattn.preset}, ${result.fastattn.seconds.toFixed(2)} s.`);
    document.body.dataset.state = "done";
  } catch (e) {
    setStatus(controller.signal.aborted ? "Cancelled." : `Error: ${e.message}`, !controller.signal.aborted);
    document.body.dataset.state = "error";
  } finally {
    current = null;
    setBusy(false);
  }
}

function cancel() {
  if (!current) return;
  const { id, controller } = current;
  controller.abort();
  api(`${jobsRoute}/${encodeURIComponent(id)}`, { method: "DELETE" }).catch(() => {});
}

document.addEventListener("DOMContentLoaded", () => {
  $("generate").addEventListener("submit", generate);
  $("cancel").addEventListener("click", cancel);
  loadConfig().then(() => { document.body.dataset.state = "ready"; });
});
