// src/api/routes/weight.ts — POST /weight {service, server, weight} and POST /drain {service,
// server}: runtime weight changes. The body's shape is checked here, at the edge, with messages
// naming the field and what is allowed; whether the service and server exist is the control
// worker's answer (404 naming them). Nothing reaches the control worker from a malformed call.
// Main thread.
import type { WeightResult } from '../../control/protocol.js';
import { serverProblem, weightProblem } from '../fields.js';
import { ApiError, onlyFields, readJsonObject, sendJson } from '../http-io.js';
import type { Route } from '../route.js';

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

export const weightRoutes: Route[] = [
  {
    method: 'POST',
    path: '/weight',
    async handle(req, res, ctx) {
      const body = (await readJsonObject(req))!;
      onlyFields(body, ['service', 'server', 'weight']);
      const service = serviceField(body);
      const server = serverField(body);
      const bad = weightProblem(body.weight);
      if (bad) throw invalid(bad);
      sendJson(res, 200, weightReply(await ctx.control.setWeight(service, server, body.weight as number)));
    },
  },
  {
    method: 'POST',
    path: '/drain',
    async handle(req, res, ctx) {
      const body = (await readJsonObject(req))!;
      onlyFields(body, ['service', 'server']);
      const service = serviceField(body);
      const server = serverField(body);
      sendJson(res, 200, weightReply(await ctx.control.drain(service, server)));
    },
  },
];
