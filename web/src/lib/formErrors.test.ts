import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { formErrorsFrom, matchField } from "./formErrors";

const FIELDS = ["symbols", "threshold", "window", "entry.rule"];

describe("matchField", () => {
  it("matches a field directly or by the tail of a path", () => {
    expect(matchField("threshold", FIELDS)).toBe("threshold");
    expect(matchField("strategies[0].threshold", FIELDS)).toBe("threshold");
    expect(matchField("values.window", FIELDS)).toBe("window");
    expect(matchField("strategy.0.entry.rule", FIELDS)).toBe("entry.rule");
    expect(matchField("symbols.2", FIELDS)).toBe("symbols");
  });

  it("gives nothing for an unknown field", () => {
    expect(matchField("schedule", FIELDS)).toBeNull();
    expect(matchField(null, FIELDS)).toBeNull();
  });
});

describe("formErrorsFrom", () => {
  it("puts a known field's message beside that field", () => {
    const e = new ApiError(422, "threshold must be between 0 and 1", "strategies[0].threshold");
    expect(formErrorsFrom(e, FIELDS)).toEqual({ fields: { threshold: "threshold must be between 0 and 1" }, form: null });
  });

  it("puts anything else above the form, naming the field", () => {
    expect(formErrorsFrom(new ApiError(422, "unknown key", "foo"), FIELDS)).toEqual({ fields: {}, form: "foo: unknown key" });
    expect(formErrorsFrom(new ApiError(403, "Needs the trader role"), FIELDS)).toEqual({ fields: {}, form: "Needs the trader role" });
    expect(formErrorsFrom(new Error("network down"), FIELDS).form).toBe("network down");
  });
});
