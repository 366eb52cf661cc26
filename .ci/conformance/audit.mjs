// graphql-http's GraphQL-over-HTTP audit (auditServer) against a running server, with a bearer
// token on every request. Prints what is not ok (notices are the spec's MAYs: GET never executes
// here, by design); exits 1 on any error or warning.
//   node audit.mjs [<graphql url> <bearer token>]   (default: $DEMO_URL/graphql and $DEMO_TOKEN)
import { auditServer } from 'graphql-http';

const url = process.argv[2] || (process.env.DEMO_URL && `${process.env.DEMO_URL}/graphql`);
const token = process.argv[3] || process.env.DEMO_TOKEN;
if (!url || !token) {
  console.error('usage: node audit.mjs <graphql url> <bearer token> (or DEMO_URL and DEMO_TOKEN)');
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const counts = { ok: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    let detail = '';
    try {
      detail = JSON.stringify(await result.response.clone().text()).slice(0, 300);
    } catch (_) {
      /* no body */
    }
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason} ${detail}`);
  }
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.error} errors, ${counts.warn} warnings`);
process.exit(counts.error + counts.warn === 0 ? 0 : 1);
