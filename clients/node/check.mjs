// Asks a FastAttn server for images with the official OpenAI Node SDK (npm "openai") and checks the PNGs.
//
//   FASTATTN_URL=http://127.0.0.1:5000 node clients/node/check.mjs
//
// Env: FASTATTN_URL (the server, required; the SDK's baseURL is FASTATTN_URL + "/v1"), FASTATTN_API_KEY (default "none"),
// FASTATTN_MODEL (default tiny-mnist), FASTATTN_PROMPT (default "a handwritten seven"), FASTATTN_SIZE (default 32x32).
// One b64_json image and one url image; each must be a PNG of FASTATTN_SIZE. Exit 0 when both are, 1 otherwise.
import OpenAI from "openai";

const server = process.env.FASTATTN_URL;
if (!server) {
  console.error("FASTATTN_URL is not set (the server's base URL, e.g. http://127.0.0.1:5000).");
  process.exit(2);
}
const model = process.env.FASTATTN_MODEL ?? "tiny-mnist";
const prompt = process.env.FASTATTN_PROMPT ?? "a handwritten seven";
const size = process.env.FASTATTN_SIZE ?? "32x32";
const [width, height] = size.split("x").map(Number);
const client = new OpenAI({ baseURL: server.replace(/\/$/, "") + "/v1", apiKey: process.env.FASTATTN_API_KEY ?? "none", maxRetries: 0 });

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Throws unless bytes are a PNG of width × height (the IHDR chunk right after the signature). */
function checkPng(bytes, what) {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG)) throw new Error(`${what}: not a PNG (no PNG signature)`);
  if (bytes.toString("latin1", 12, 16) !== "IHDR") throw new Error(`${what}: PNG without IHDR first`);
  const [w, h] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  if (w !== width || h !== height) throw new Error(`${what}: PNG is ${w}x${h}, expected ${width}x${height}`);
  return `${what}: PNG ${w}x${h}, ${bytes.length} bytes`;
}

try {
  const b64 = await client.images.generate({ model, prompt, n: 1, size, response_format: "b64_json", seed: 1 });
  console.log(checkPng(Buffer.from(b64.data[0].b64_json, "base64"), "b64_json"));

  const byUrl = await client.images.generate({ model, prompt, n: 1, size, response_format: "url", seed: 2 });
  const url = byUrl.data[0].url;
  const response = await fetch(url, { headers: { authorization: `Bearer ${client.apiKey}` } });
  if (!response.ok) throw new Error(`url: GET ${url} answered ${response.status}`);
  console.log(checkPng(Buffer.from(await response.arrayBuffer()), `url ${url}`));
  console.log("node client: 2 passed, 0 failed");
} catch (e) {
  console.error(`node client failed: ${e?.status ? `HTTP ${e.status} ` : ""}${e?.message ?? e}`);
  process.exit(1);
}
