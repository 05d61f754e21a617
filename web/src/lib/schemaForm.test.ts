import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../api/types";
import { changedValues, describeApplies, fieldsFromSchema, fieldsFromValues, fromInput, inputsFrom, valuesFrom } from "./schemaForm";

// The shape pydantic's model_json_schema() gives.
const SCHEMA: JsonSchema = {
  type: "object",
  required: ["symbols", "threshold"],
  properties: {
    symbols: { type: "array", items: { type: "string" }, title: "Symbols" },
    method: { $ref: "#/$defs/Method" },
    threshold: { type: "number", minimum: 0, maximum: 1, title: "Threshold", description: "Minimum |r|" },
    window: { type: "integer", exclusiveMinimum: 1, title: "Correlation Window" },
    days: { type: "array", items: { enum: ["mon", "tue", "wed"], type: "string" } },
    stop_pct: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
    entry: { type: "object", properties: {} },
    enabled: { type: "boolean" },
    side: { anyOf: [{ const: "long" }, { const: "short" }] },
  },
  $defs: { Method: { enum: ["pearson", "spearman", "kendall"], type: "string" } },
};

describe("fieldsFromSchema", () => {
  const fields = fieldsFromSchema(SCHEMA);
  const by = Object.fromEntries(fields.map((f) => [f.name, f]));

  it("keeps the schema's order and reads each kind", () => {
    expect(fields.map((f) => f.name)).toEqual(["symbols", "method", "threshold", "window", "days", "stop_pct", "entry",
      "enabled", "side"]);
    expect(fields.map((f) => f.kind)).toEqual(["list", "select", "number", "integer", "multiselect", "number", "json",
      "boolean", "select"]);
  });

  it("resolves $ref enums, nullable unions and const unions", () => {
    expect(by.method.options).toEqual(["pearson", "spearman", "kendall"]);
    expect(by.stop_pct.nullable).toBe(true);
    expect(by.side.options).toEqual(["long", "short"]);
    expect(by.days.options).toEqual(["mon", "tue", "wed"]);
  });

  it("carries bounds, required, labels and descriptions", () => {
    expect([by.threshold.min, by.threshold.max]).toEqual([0, 1]);
    expect(by.window.min).toBe(1);
    expect(by.threshold.required).toBe(true);
    expect(by.window.required).toBe(false);
    expect(by.window.label).toBe("Correlation Window");
    expect(by.stop_pct.label).toBe("Stop pct");
    expect(by.threshold.description).toBe("Minimum |r|");
  });
});

describe("inputs and values", () => {
  const fields = fieldsFromSchema(SCHEMA);
  const values = { symbols: ["SPY", "QQQ"], method: "kendall", threshold: 0.7, window: 50, days: ["mon"], stop_pct: null,
    entry: { rule: "cross" }, enabled: true, side: "long" };

  it("round-trips the values through the inputs", () => {
    expect(valuesFrom(fields, inputsFrom(fields, values))).toEqual(values);
  });

  it("shows lists as comma text and nothing as empty", () => {
    const inputs = inputsFrom(fields, values);
    expect(inputs.symbols).toBe("SPY, QQQ");
    expect(inputs.stop_pct).toBe("");
    expect(inputs.enabled).toBe(true);
  });

  it("parses typed text", () => {
    const by = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(fromInput(by.symbols, "spy, qqq  iwm")).toEqual(["spy", "qqq", "iwm"]);
    expect(fromInput(by.threshold, " 0.85 ")).toBe(0.85);
    expect(fromInput(by.stop_pct, "")).toBeNull();
    expect(fromInput(by.entry, '{"a": 1}')).toEqual({ a: 1 });
  });

  it("sends what does not parse as typed, for the API to refuse with its own message", () => {
    const by = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(fromInput(by.threshold, "abc")).toBe("abc");
    expect(fromInput(by.window, "2.5")).toBe("2.5");
    expect(fromInput(by.entry, "{bad")).toBe("{bad");
  });
});

describe("fieldsFromValues", () => {
  it("guesses kinds from the values", () => {
    const fields = fieldsFromValues({ max_daily_loss: "500", max_positions: 5, reserve: 0.1, enabled: false, days: ["mon"] });
    expect(fields.map((f) => [f.name, f.kind])).toEqual([
      ["max_daily_loss", "text"], ["max_positions", "integer"], ["reserve", "number"], ["enabled", "boolean"], ["days", "list"],
    ]);
    expect(fields[0].label).toBe("Max daily loss");
  });
});

describe("describeApplies", () => {
  it("says when a change takes effect", () => {
    expect(describeApplies("next_bar")).toBe("Takes effect at the next bar.");
    expect(describeApplies("restart")).toBe("Takes effect when Theo restarts.");
    expect(describeApplies("next_session")).toBe("Takes effect: next session.");
    expect(describeApplies(null)).toBe("");
  });
});

describe("nested settings", () => {
  // The shape of RiskConfig.model_json_schema(): tables by $ref, decimals as number|string, maps of tables.
  const schema: JsonSchema = {
    type: "object",
    properties: {
      limits: { $ref: "#/$defs/Limits" },
      trade_by_strategy: { type: "object", additionalProperties: { $ref: "#/$defs/Trade" } },
      accounts: { type: "object", additionalProperties: { type: "string" } },
      rules: { type: "array", items: { $ref: "#/$defs/Trade" } },
    },
    $defs: {
      Limits: {
        type: "object",
        properties: {
          max_active_trades: { type: "integer", minimum: 0 },
          daily_loss_limit_pct: { anyOf: [{ type: "number", exclusiveMinimum: 0 }, { type: "string" }, { type: "null" }] },
        },
      },
      Trade: { type: "object", properties: { exit_time: { type: "string" } } },
    },
  };
  const values = {
    limits: { max_active_trades: 5, daily_loss_limit_pct: "3" },
    trade_by_strategy: { corr: { exit_time: "15:55" } },
    accounts: {},
    rules: [{ exit_time: "15:00" }],
  };
  const fields = fieldsFromSchema(schema, values);

  it("flattens tables into groups of dotted fields", () => {
    expect(fields.map((f) => [f.name, f.kind, f.depth])).toEqual([
      ["limits", "group", 0],
      ["limits.max_active_trades", "integer", 1],
      ["limits.daily_loss_limit_pct", "decimal", 1],
      ["trade_by_strategy", "group", 0],
      ["trade_by_strategy.corr", "group", 1],
      ["trade_by_strategy.corr.exit_time", "text", 2],
      ["accounts", "json", 0],
      ["rules", "json", 0],
    ]);
    const pct = fields.find((f) => f.name === "limits.daily_loss_limit_pct");
    expect([pct?.nullable, pct?.min]).toEqual([true, 0]);
  });

  it("sends only what changed, nested, with decimals as typed text", () => {
    const initial = inputsFrom(fields, values);
    const edited = { ...initial, "limits.daily_loss_limit_pct": "2.5", "trade_by_strategy.corr.exit_time": "15:45" };
    expect(changedValues(fields, initial, edited)).toEqual({
      limits: { daily_loss_limit_pct: "2.5" },
      trade_by_strategy: { corr: { exit_time: "15:45" } },
    });
    expect(changedValues(fields, initial, initial)).toEqual({});
  });

  it("round-trips every value", () => {
    expect(valuesFrom(fields, inputsFrom(fields, values))).toEqual(values);
  });

  it("nests inferred fields too", () => {
    expect(fieldsFromValues({ a: { b: 1 } }).map((f) => [f.name, f.kind])).toEqual([["a", "group"], ["a.b", "integer"]]);
  });
});

describe("labels", () => {
  it("names a table by its key, not its class, and keeps titles that say more", () => {
    const fields = fieldsFromSchema({
      type: "object",
      properties: {
        account: { $ref: "#/$defs/AccountRisk" },
        trade_by_strategy: { type: "object", title: "Per strategy ([risk.trade_by_strategy.NAME])" },
      },
      $defs: { AccountRisk: { title: "AccountRisk", type: "object", properties: { pdt_min_equity: { type: "string", title: "Pdt Min Equity" } } } },
    });
    expect(fields.map((f) => f.label)).toEqual(["Account", "Pdt min equity", "Per strategy ([risk.trade_by_strategy.NAME])"]);
  });
});
