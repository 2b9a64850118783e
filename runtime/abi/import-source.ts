/**
 * Imports an ES module from its bytes. Browsers and workers get a blob: URL,
 * so that a page's Content-Security-Policy can allow `script-src blob:` and
 * leave out `data:` (data: URLs can be written into markup by anyone who
 * can inject HTML; blob: URLs only by script already running on the page).
 * Node cannot import blob: URLs: it gets a data: URL. Browser-safe.
 */

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(bin);
}

export async function importSource(bytes: Uint8Array): Promise<unknown> {
  if (isNode() || typeof URL.createObjectURL !== "function") {
    return import(/* @vite-ignore */ `data:text/javascript;base64,${base64(bytes)}`);
  }
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "text/javascript" }));
  try {
    return await import(/* @vite-ignore */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}
