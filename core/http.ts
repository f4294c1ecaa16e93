/**
 * What a room with an HTTP face may rely on from the server's shared plugins: each request carries the
 * {@link Principal} its API key maps to, and each route states its {@link Access} in `config.access`
 * (the server's auth plugin enforces it). Rooms import this module's types; the app implements them.
 */
import type {} from 'fastify';
import type { Access, Principal } from './access.js';

export type { Access, Principal } from './access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as (not set on `access.public` routes). */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; routes that state none need any valid key. */
    access?: Access;
  }
}
