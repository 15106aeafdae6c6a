import type { FastifyInstance } from 'fastify';
import { parseDeviceId, parseDeviceInfo } from '../../validation/device.js';
import { renderDevice } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body } from '../params.js';

type DeviceParams = { Params: { deviceId: string } };

/** The caller's devices: list, register or update one, revoke one (closes its connections with 3503). */
export function deviceRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/v1/devices', async (request) => {
    const devices = await ctx.devices.list(request.userId);
    const online = new Set([...(ctx.hub.connectionsOf(request.userId) ?? [])].map((c) => c.deviceId));
    return { devices: devices.map((d) => renderDevice(d, request.deviceId, online.has(d.deviceId))) };
  });

  app.put<DeviceParams>('/v1/devices/:deviceId', async (request) => {
    const deviceId = parseDeviceId(request.params.deviceId, 'deviceId');
    const device = await ctx.devices.update(request.userId, deviceId, parseDeviceInfo(body(request.body)));
    const online = [...(ctx.hub.connectionsOf(request.userId) ?? [])].some((c) => c.deviceId === deviceId);
    return { device: renderDevice(device, request.deviceId, online) };
  });

  app.delete<DeviceParams>('/v1/devices/:deviceId', async (request, reply) => {
    await ctx.devices.revoke(request.userId, parseDeviceId(request.params.deviceId, 'deviceId'));
    return reply.status(204).send();
  });
}
