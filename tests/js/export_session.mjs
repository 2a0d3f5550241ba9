// One agent session (invoke_agent root, a chat call, a failing tool call) through an official OpenTelemetry
// JS OTLP exporter, as a Node service would send it: node export_session.mjs grpc|proto|json URL SERVICE SESSION [gzip]
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';

const [transport, url, service, session, compression = 'none'] = process.argv.slice(2);
const exporters = {
  grpc: '@opentelemetry/exporter-trace-otlp-grpc', // OTLP/gRPC
  proto: '@opentelemetry/exporter-trace-otlp-proto', // OTLP/HTTP, protobuf body
  json: '@opentelemetry/exporter-trace-otlp-http', // OTLP/HTTP, JSON body (hex ids)
};
const { OTLPTraceExporter } = await import(exporters[transport]);
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': service, 'service.version': '2.4.0', 'deployment.environment.name': 'prod' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url, compression }))],
});
const tracer = provider.getTracer('js-agent', '1.0.0');

const root = tracer.startSpan('invoke_agent refunds', { attributes: {
  'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refunds', 'gen_ai.conversation.id': session } });
const inRoot = trace.setSpan(context.active(), root);
const chat = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, attributes: {
  'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-11-20', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 300,
  'gen_ai.request.temperature': 0.25, 'gen_ai.response.finish_reasons': ['tool_calls'], 'llm.is_streaming': false } }, inRoot);
chat.end();
const tool = tracer.startSpan('execute_tool get_order', { attributes: {
  'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_order' } }, inRoot);
tool.recordException(new RangeError('order service timed out'));
tool.setStatus({ code: SpanStatusCode.ERROR, message: 'order service timed out' });
tool.end();
root.end();
await provider.shutdown(); // waits for the exports; a failed one is only logged, so the test checks what landed
