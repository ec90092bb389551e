// Drives commprefs' Email Subscriptions v1 through the npm `hubspot` package (node-hubspot 2)
// and prints one JSON object: each step's parsed result, or the client's error (status, body).
// Its subscriptions API is v1 only: subscriptions.get (the timeline), unsubscribe and
// subscribeToAll; the types and an address's status it reaches through apiRequest.
// Usage: node v1_client.js <baseUrl> <token> <email>
'use strict';

const Hubspot = require('hubspot');

async function step(call) {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error.statusCode === undefined) throw error; // not an HTTP answer: let the test see it
    return { ok: false, code: error.statusCode, body: error.error };
  }
}

async function main() {
  const [baseUrl, accessToken, email] = process.argv.slice(2);
  const client = new Hubspot({ accessToken, baseUrl });
  const status = () =>
    client.apiRequest({ method: 'GET', path: `/email/public/v1/subscriptions/${email}` });
  const results = {};
  results.types = await step(() =>
    client.apiRequest({ method: 'GET', path: '/email/public/v1/subscriptions' }),
  );
  results.subscribeToAll = await step(() => client.subscriptions.subscribeToAll(email));
  results.subscribed = await step(status);
  results.unsubscribe = await step(() => client.subscriptions.unsubscribe(email));
  results.unsubscribeAgain = await step(() => client.subscriptions.unsubscribe(email));
  results.unsubscribed = await step(status);
  results.subscribeToAllAgain = await step(() => client.subscriptions.subscribeToAll(email));
  // The timeline, paged two items at a time with the offset each page gives.
  const pages = [];
  let page = await client.subscriptions.get({ limit: 2 });
  pages.push(page);
  while (page.hasMore) {
    page = await client.subscriptions.get({ limit: 2, offset: page.offset });
    pages.push(page);
  }
  results.timelinePages = pages;
  results.timelineWhole = await step(() => client.subscriptions.get({ limit: 1000 }));
  const stranger = new Hubspot({ accessToken: 'cpat-not-a-real-token', baseUrl });
  results.unauthenticated = await step(() => stranger.subscriptions.get());
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
