import { z } from 'zod';
/** ISO-8601 timestamp with offset, as produced by `Date.prototype.toISOString()`. */
export declare const Timestamp: z.ZodISODateTime;
/** Ids are opaque strings; producers use UUIDs, consumers must not rely on the format. */
export declare const Id: z.ZodString;
/** A route, model, variant or flag name as written in flywheel.yaml. */
export declare const Name: z.ZodString;
export declare const ChatRole: z.ZodEnum<{
    system: "system";
    user: "user";
    assistant: "assistant";
    tool: "tool";
    developer: "developer";
}>;
/** One chat message; content is plain text (multi-part content is flattened by the gateway). */
export declare const ChatMessage: z.ZodObject<{
    role: z.ZodEnum<{
        system: "system";
        user: "user";
        assistant: "assistant";
        tool: "tool";
        developer: "developer";
    }>;
    content: z.ZodString;
    name: z.ZodOptional<z.ZodString>;
}, z.core.$strip>;
export type ChatMessage = z.infer<typeof ChatMessage>;
export declare const Usage: z.ZodObject<{
    input_tokens: z.ZodNumber;
    output_tokens: z.ZodNumber;
    total_tokens: z.ZodNumber;
}, z.core.$strip>;
export type Usage = z.infer<typeof Usage>;
export declare const Rating: z.ZodEnum<{
    up: "up";
    down: "down";
}>;
export type Rating = z.infer<typeof Rating>;
