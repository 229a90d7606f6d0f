// Drives a Troupe node's OpenAI-compatible chat edge with the real `openai` client library, as an
// application would: a completion, a streamed completion, a two-turn conversation (the session id
// travels in the X-Troupe-Session header), the model list, and an unknown model's error. It prints
// one JSON object with what it saw; OpenAiClientIT starts the node, defines the agent and checks it.
//
// Environment: TROUPE_BASE_URL (the node, e.g. http://127.0.0.1:8080), TROUPE_API_KEY, TROUPE_AGENT
// (a conversational agent whose first reply is TROUPE_FIRST_REPLY and second TROUPE_SECOND_REPLY).
import OpenAI from 'openai';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const client = new OpenAI({
  baseURL: `${env('TROUPE_BASE_URL')}/v1`,
  apiKey: env('TROUPE_API_KEY'),
  maxRetries: 0,
  timeout: 60_000,
});
const model = env('TROUPE_AGENT');
const result = {};

// 1. Not streaming: the whole answer with its usage; the session it ran in is in the response header.
{
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'Hello, who are you?' }], temperature: 0.2 })
    .withResponse();
  result.whole = {
    object: data.object,
    model: data.model,
    content: data.choices[0].message.content,
    role: data.choices[0].message.role,
    finishReason: data.choices[0].finish_reason,
    usage: data.usage,
    session: response.headers.get('x-troupe-session'),
  };
}

// 2. Streaming: the deltas as they come, the finish reason, and the usage chunk.
{
  const { data: stream, response } = await client.chat.completions
    .create({
      model,
      messages: [{ role: 'user', content: 'Stream your answer, please.' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    .withResponse();
  const deltas = [];
  let finishReason = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.usage) {
      usage = chunk.usage;
    }
    for (const choice of chunk.choices) {
      if (choice.delta?.content) {
        deltas.push(choice.delta.content);
      }
      if (choice.finish_reason) {
        finishReason = choice.finish_reason;
      }
    }
  }
  result.streamed = {
    chunks,
    deltas,
    text: deltas.join(''),
    finishReason,
    usage,
    session: response.headers.get('x-troupe-session'),
  };
}

// 3. A conversation: the first answer names the session; the second turn sends it back.
{
  const first = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'Let us talk.' }] })
    .withResponse();
  const session = first.response.headers.get('x-troupe-session');
  const second = await client.chat.completions
    .create(
      {
        model,
        messages: [
          { role: 'user', content: 'Let us talk.' },
          { role: 'assistant', content: first.data.choices[0].message.content },
          { role: 'user', content: 'And now?' },
        ],
      },
      { headers: { 'X-Troupe-Session': session } },
    )
    .withResponse();
  result.conversation = {
    firstSession: session,
    first: first.data.choices[0].message.content,
    second: second.data.choices[0].message.content,
    secondSession: second.response.headers.get('x-troupe-session'),
    secondId: second.data.id,
  };
}

// 4. The models the key may run.
{
  const ids = [];
  for await (const m of client.models.list()) {
    ids.push({ id: m.id, object: m.object, ownedBy: m.owned_by });
  }
  result.models = ids;
}

// 5. An unknown model: the library raises its NotFoundError with OpenAI's code.
try {
  await client.chat.completions.create({ model: `${model}-missing`, messages: [{ role: 'user', content: 'hi' }] });
  result.unknownModel = { raised: false };
} catch (error) {
  result.unknownModel = {
    raised: true,
    notFoundError: error instanceof OpenAI.NotFoundError,
    status: error.status,
    code: error.code,
    type: error.type,
    param: error.param,
  };
}

console.log(JSON.stringify(result));
