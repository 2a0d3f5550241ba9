// An agent built on the Vercel AI SDK with its telemetry on, exported over OTLP/HTTP (protobuf) as a Node service
// sets it up: node vercel_agent.mjs OTLP_URL OPENAI_BASE_URL SERVICE SESSION USER
// Four turns of one session, each a trace: generateText with a tool (a tool call, the tool, the answer), a streamed
// answer, an embedding of two texts, and a call the provider fails. The agent is named by the telemetry's functionId, the session and user
// by its metadata.
import { embedMany, generateText, stepCountIs, streamText, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

const [otlp, openaiBase, service, session, user] = process.argv.slice(2);
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': service, 'service.version': '0.3.0' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: otlp }))],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const openai = createOpenAI({ baseURL: openaiBase, apiKey: 'sk-fake' });
const model = openai.chat('gpt-4o-mini');
const experimental_telemetry = { isEnabled: true, functionId: 'weather-assistant', metadata: { sessionId: session, userId: user } };
const getWeather = tool({
  description: 'Get the current weather for a city.',
  inputSchema: z.object({ city: z.string(), unit: z.string().optional() }),
  execute: async ({ city, unit }) => JSON.stringify({ city, temperature: 21, unit: unit ?? 'celsius', condition: 'sunny' }),
});

await generateText({ model, prompt: "What's the weather in Paris right now, and what should I wear?", tools: { get_weather: getWeather },
                     stopWhen: stepCountIs(3), maxRetries: 0, experimental_telemetry });
const streamed = streamText({ model, prompt: 'And tomorrow?', maxRetries: 0, experimental_telemetry });
for await (const _ of streamed.textStream) { /* read the stream to its end */ }
await embedMany({ model: openai.embedding('text-embedding-3-small'), values: ['Paris weather', 'And tomorrow?'], maxRetries: 0,
                  experimental_telemetry });
await generateText({ model, prompt: 'Summarize: FAIL_WITH_500', maxRetries: 0, experimental_telemetry }).then(
  () => { throw new Error('the fake provider should have failed the last call'); }, () => {});
await provider.shutdown(); // waits for the exports
