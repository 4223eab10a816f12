// src/api/routes/reload.ts — POST /reload: what SIGHUP does (re-read the file `xvs run` was
// given, validate, apply). An invalid file is refused with 409 and every problem (the running
// configuration stays). The request carries no body, or only a `reason` for the log: the file is
// the configuration, not the request. Main thread.
import { ApiError, onlyFields, readJsonObject, sendJson, statusForCode } from '../http-io.js';
import { apiRequester, reasonField } from '../requester.js';
import type { Route } from '../route.js';

export const reloadRoutes: Route[] = [
  {
    method: 'POST',
    path: '/reload',
    async handle(req, res, ctx) {
      const body = await readJsonObject(req, true);
      if (body) onlyFields(body, ['reason']);
      const outcome = await ctx.reload(apiRequester(req, reasonField(body), ctx.tokenRequired()));
      if (!outcome.ok)
        throw new ApiError(statusForCode(outcome.code), outcome.code, outcome.message, {
          file: outcome.file,
          ...(outcome.problems ? { problems: outcome.problems } : {}),
        });
      const r = outcome.result;
      sendJson(res, 200, {
        file: outcome.file,
        generation: Number(r.generation),
        services: r.services,
        unresolved: r.unresolved,
        overridesDropped: r.overridesDropped ?? [],
      });
    },
  },
];
