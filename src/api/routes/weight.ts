// src/api/routes/weight.ts — POST /weight {service, server, weight} and POST /drain {service,
// server}: runtime weight changes. The body's shape is checked here, at the edge, with messages
// naming the field and what is allowed; whether the service and server exist is the control
// worker's answer (404 naming them). Nothing reaches the control worker from a malformed call.
// Each change is logged with who asked (address, program, token) and the request's `reason`.
// Main thread.
import type { WeightResult } from '../../control/protocol.js';
import { serverProblem, weightProblem } from '../fields.js';
import { ApiError, onlyFields, readJsonObject, sendJson } from '../http-io.js';
import { apiRequester, describeRequester, reasonField, type Requester } from '../requester.js';
import type { ApiContext, Route } from '../route.js';

function invalid(message: string): ApiError {
  return new ApiError(400, 'XVS_EINVAL', message);
}

function serviceField(body: Record<string, unknown>): string {
  const v = body.service;
  if (typeof v !== 'string' || v === '' || v.length > 128)
    throw invalid(`service must be a service name such as "web", or vip:port/proto such as "203.0.113.10:80/tcp" (got ${JSON.stringify(v) ?? 'nothing'})`);
  return v;
}

function serverField(body: Record<string, unknown>): string {
  const bad = serverProblem(body.server);
  if (bad) throw invalid(bad);
  return body.server as string;
}

function weightReply(r: WeightResult) {
  return { ...r, generation: Number(r.generation) };
}

/** The log line of a runtime weight change: what changed, and who asked, why. */
function logChange(ctx: ApiContext, event: 'weight_set' | 'server_drained', r: WeightResult, by: Requester): void {
  const what = r.changed
    ? `server ${r.server} of service ${r.service}: weight ${r.previousWeight} -> ${r.weight}`
    : `server ${r.server} of service ${r.service} already had weight ${r.weight}`;
  ctx.log.info(
    {
      event,
      service: r.service,
      server: r.server,
      weight: r.weight,
      previous_weight: r.previousWeight,
      configured_weight: r.configuredWeight,
      changed: r.changed,
      generation: Number(r.generation),
      by,
    },
    `${what}${describeRequester(by)}`,
  );
}

export const weightRoutes: Route[] = [
  {
    method: 'POST',
    path: '/weight',
    async handle(req, res, ctx) {
      const body = (await readJsonObject(req))!;
      onlyFields(body, ['service', 'server', 'weight', 'reason']);
      const service = serviceField(body);
      const server = serverField(body);
      const bad = weightProblem(body.weight);
      if (bad) throw invalid(bad);
      const by = apiRequester(req, reasonField(body), ctx.tokenRequired());
      const r = await ctx.control.setWeight(service, server, body.weight as number);
      logChange(ctx, 'weight_set', r, by);
      sendJson(res, 200, weightReply(r));
    },
  },
  {
    method: 'POST',
    path: '/drain',
    async handle(req, res, ctx) {
      const body = (await readJsonObject(req))!;
      onlyFields(body, ['service', 'server', 'reason']);
      const service = serviceField(body);
      const server = serverField(body);
      const by = apiRequester(req, reasonField(body), ctx.tokenRequired());
      const r = await ctx.control.drain(service, server);
      logChange(ctx, 'server_drained', r, by);
      sendJson(res, 200, weightReply(r));
    },
  },
];
