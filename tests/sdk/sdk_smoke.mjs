// Smoke test of sluice with the official OpenAI Node SDK: non-streamed and
// streamed chat, the model list, and the SDK's error types for a bad key, a
// body over the limit (413) and, with SLUICE_CONTEXT_MODEL set, a request
// beyond that model's context length (400).
//   SLUICE_BASE_URL=http://127.0.0.1:8080/v1 node sdk_smoke.mjs
// Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.SLUICE_BASE_URL;
if (!baseURL) {
  console.error('set SLUICE_BASE_URL, e.g. http://127.0.0.1:8080/v1');
  process.exit(2);
}
const model = process.env.SLUICE_MODEL ?? 'small';
const client = new OpenAI({ baseURL, apiKey: 'sk-demo-acme', maxRetries: 0, timeout: 10_000 });

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}: ${err?.stack ?? err}`);
    process.exit(1);
  }
}

await step('chat.completions.create', async () => {
  const res = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 8,
  });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices.length, 1);
  assert.equal(res.choices[0].message.role, 'assistant');
  assert.ok(res.choices[0].message.content.length > 0);
  assert.equal(res.usage.completion_tokens, 8);
  assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
});

await step('chat.completions.create (stream, include_usage)', async () => {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Count to ten' }],
    max_tokens: 10,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.choices.length === 0) {
      assert.equal(usage, null, 'more than one usage chunk');
      usage = chunk.usage;
    } else {
      assert.equal(usage, null, 'a choice chunk after the usage chunk');
      text += chunk.choices[0].delta?.content ?? '';
    }
  }
  assert.ok(chunks >= 3, `only ${chunks} chunks`);
  assert.ok(text.length > 0);
  assert.ok(usage, 'no usage chunk');
  assert.equal(usage.completion_tokens, 10);
});

await step('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), `models: ${ids.join(', ')}`);
});

await step('bad key raises AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'sk-not-a-real-key', maxRetries: 0, timeout: 10_000 });
  await assert.rejects(
    bad.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    (err) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    },
  );
});

await step('chat message has refusal: null', async () => {
  const res = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 2,
  });
  assert.ok('refusal' in res.choices[0].message, 'message has no refusal field');
  assert.equal(res.choices[0].message.refusal, null);
});

await step('a 5 MiB body raises APIError 413, not a connection error', async () => {
  // maxRetries 2 (the default): a connection error would be retried; a 413 is not.
  const retrying = new OpenAI({ baseURL, apiKey: 'sk-demo-acme', maxRetries: 2, timeout: 20_000 });
  await assert.rejects(
    retrying.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'a'.repeat(5 * 1024 * 1024) }],
      max_tokens: 2,
    }),
    (err) => {
      assert.ok(!(err instanceof OpenAI.APIConnectionError), `got ${err?.constructor?.name}: ${err}`);
      assert.ok(err instanceof OpenAI.APIError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 413);
      assert.equal(err.code, 'request_too_large');
      return true;
    },
  );
});

if (process.env.SLUICE_CONTEXT_MODEL) {
  await step('a request beyond the context length raises BadRequestError 400', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: process.env.SLUICE_CONTEXT_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 1_000_000,
      }),
      (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 400);
        assert.equal(err.code, 'context_length_exceeded');
        return true;
      },
    );
  });
}

console.log('sdk smoke: all passed');
