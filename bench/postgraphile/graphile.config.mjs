// PostGraphile v5 over the Neighbourhood database, as a PostGraphile user would run it in
// production: the Amber preset, simplified inflection, the connection-filter plugin, no GraphiQL,
// no watch mode, no explain, no subscriptions. serve.sh passes the connection and the address
// through the environment (DATABASE_URL, PGL_HOST, PGL_PORT, PGL_POOL_MAX).
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  throw new Error("graphile.config.mjs: set DATABASE_URL");
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      // Same pool size as the Neighbourhood server's default (NEIGHBOURHOOD_DB_MAX_CONNECTIONS=10).
      poolConfig: { max: Number(process.env.PGL_POOL_MAX ?? 10) },
      // No subscriptions: do not hold a LISTEN connection.
      pubsub: false,
    }),
  ],
  // The `condition:` argument's input types are named <Table>Condition, which collides with the
  // tables patient_condition and community_asset_condition (their types would be dropped with a
  // "type naming conflict" warning). `filter:` (connection-filter) does everything `condition:`
  // does, so the condition argument is switched off.
  disablePlugins: ["PgConditionArgumentPlugin"],
  schema: {
    // "Patients whose neighbourhood the caller's organisation takes part in" is a relation filter
    // (patient -> neighbourhood -> neighbourhood_organisation).
    connectionFilterRelations: true,
  },
  grafserv: {
    host: process.env.PGL_HOST ?? "127.0.0.1",
    port: Number(process.env.PGL_PORT ?? 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    // Never send plans / SQL back to clients.
    explain: false,
  },
};

export default preset;
