// lepton test guest: a Spin JS SDK v3 wasi:http handler (StarlingMonkey via componentize-js).
// Built by tests/guests/components.cmake with `j2w -i src/index.js -o js_hello.wasm`.
// StarlingMonkey answers exactly one request per instance.

function handle(_request) {
  return new Response('Hello from JS', {
    status: 200,
    headers: { 'content-type': 'text/plain' },
  });
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
