// Checks at run time that an answer is what its generated type says. TypeScript's types are
// gone once compiled, so a response that differs from the document would otherwise pass unseen.
// A check of an object is built from a shape with one check per property of the type: the
// compiler refuses a shape that misses a property, names one the type lacks, or checks a
// property as optional (or nullable) where the type has it required (or not null). At run time
// the object must have no field the shape does not name.

export type Check<T> = (value: unknown, where: string) => T;
export type Shape<T> = { [K in keyof T]-?: Check<T[K]> };

function refuse(where: string, expected: string, value: unknown): never {
    throw new Error(`${where}: expected ${expected}, got ${JSON.stringify(value)}`);
}

export const str: Check<string> = (value, where) =>
    typeof value === "string" ? value : refuse(where, "a string", value);

export const int: Check<number> = (value, where) =>
    typeof value === "number" && Number.isInteger(value)
        ? value
        : refuse(where, "an integer", value);

export const bool: Check<boolean> = (value, where) =>
    typeof value === "boolean" ? value : refuse(where, "true or false", value);

export function literal<L extends string>(expected: L): Check<L> {
    return (value, where) =>
        value === expected ? expected : refuse(where, JSON.stringify(expected), value);
}

export function nullable<T>(check: Check<T>): Check<T | null> {
    return (value, where) => (value === null ? null : check(value, where));
}

export function optional<T>(check: Check<T>): Check<T | undefined> {
    return (value, where) => (value === undefined ? undefined : check(value, where));
}

export function list<T>(check: Check<T>): Check<T[]> {
    return (value, where) =>
        Array.isArray(value)
            ? value.map((item, index) => check(item, `${where}[${index}]`))
            : refuse(where, "an array", value);
}

export function object<T>(shape: Shape<T>): Check<T> {
    const checks: [string, Check<unknown>][] = Object.entries(shape);
    return (value, where) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            return refuse(where, "an object", value);
        }
        const fields: Record<string, unknown> = { ...value };
        const unknown = Object.keys(fields).filter((name) => !Object.hasOwn(shape, name));
        if (unknown.length > 0) {
            throw new Error(`${where}: fields its type does not have: ${unknown.join(", ")}`);
        }
        for (const [name, check] of checks) {
            check(fields[name], `${where}.${name}`);
        }
        return value as T;
    };
}
