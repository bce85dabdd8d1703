// {{project-name}}: an HTTP handler in JavaScript (Spin JS SDK v3). Build: `lepton build`.
// Each request arrives as a `fetch` event with a standard Request; answer with a Response.

function handle(request) {
  // spin-path-info: the part of the path after the route's base ("/" for the route itself).
  const path = request.headers.get('spin-path-info') || '/';
  return new Response(`Hello from {{project-name}}! (${request.method} ${path})\n`, {
    status: 200,
    headers: { 'content-type': 'text/plain' },
  });
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
