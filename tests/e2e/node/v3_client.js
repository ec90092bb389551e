// Drives commprefs' v3 API through HubSpot's Node client (@hubspot/api-client 14) and prints
// one JSON object: each step's parsed result, or the client's error (HTTP code and body).
// Usage: node v3_client.js <baseUrl> <token> <email> <subscriptionId>
'use strict';

const hubspot = require('@hubspot/api-client');

async function step(call) {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error.code === undefined) throw error; // not an HTTP answer: let the test see the crash
    return { ok: false, code: error.code, body: error.body };
  }
}

async function main() {
  const [basePath, accessToken, emailAddress, subscriptionId] = process.argv.slice(2);
  const client = new hubspot.Client({ accessToken, basePath });
  const { definitionApi, statusApi } = client.communicationPreferences;
  const change = { emailAddress, subscriptionId };
  const withBasis = {
    ...change,
    legalBasis: 'CONSENT_WITH_NOTICE',
    legalBasisExplanation: 'Asked for it by email',
  };
  const results = {};
  results.getPage = await step(() => definitionApi.getPage());
  results.before = await step(() => statusApi.getEmailStatus(emailAddress));
  results.subscribe = await step(() => statusApi.subscribe(withBasis));
  results.subscribeAgain = await step(() => statusApi.subscribe(withBasis));
  results.unsubscribe = await step(() => statusApi.unsubscribe(change));
  results.unsubscribeAgain = await step(() => statusApi.unsubscribe(change));
  results.resubscribe = await step(() => statusApi.subscribe(change));
  results.after = await step(() => statusApi.getEmailStatus(emailAddress));
  // apiRequest resolves on 4xx: the raw answer to a snake_case body.
  const snake = await client.apiRequest({
    method: 'POST',
    path: '/communication-preferences/v3/subscribe',
    body: { email_address: emailAddress, subscription_id: subscriptionId },
  });
  results.snakeCase = { code: snake.status, body: await snake.json() };
  const stranger = new hubspot.Client({ accessToken: 'cpat-not-a-real-token', basePath });
  results.unauthenticated = await step(() =>
    stranger.communicationPreferences.definitionApi.getPage(),
  );
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
