import { z } from 'zod';
/**
 * Event payloads (the CloudEvents `data`). Rules for evolving them: never remove or retype
 * a field of a published version; new fields are `.optional()` so that consumers of a
 * rolling deploy accept events from both sides. Unknown fields are kept (`z.looseObject`)
 * so an older consumer passes a newer producer's fields through untouched.
 */
export declare const AttemptStatus: z.ZodEnum<{
    error: "error";
    ok: "ok";
    timeout: "timeout";
    circuit_open: "circuit_open";
    invalid_output: "invalid_output";
    truncated: "truncated";
}>;
export type AttemptStatus = z.infer<typeof AttemptStatus>;
export declare const Attempt: z.ZodObject<{
    model: z.ZodString;
    provider: z.ZodString;
    status: z.ZodEnum<{
        error: "error";
        ok: "ok";
        timeout: "timeout";
        circuit_open: "circuit_open";
        invalid_output: "invalid_output";
        truncated: "truncated";
    }>;
    http_status: z.ZodOptional<z.ZodNumber>;
    error_class: z.ZodOptional<z.ZodString>;
    latency_ms: z.ZodNumber;
    started_at: z.ZodISODateTime;
    usage: z.ZodOptional<z.ZodObject<{
        input_tokens: z.ZodNumber;
        output_tokens: z.ZodNumber;
        total_tokens: z.ZodNumber;
    }, z.core.$strip>>;
    cost_usd: z.ZodOptional<z.ZodNumber>;
    try: z.ZodOptional<z.ZodNumber>;
    repaired: z.ZodOptional<z.ZodBoolean>;
}, z.core.$loose>;
export type Attempt = z.infer<typeof Attempt>;
export declare const ValidationResult: z.ZodObject<{
    schema: z.ZodBoolean;
    valid: z.ZodBoolean;
    repaired: z.ZodBoolean;
    reasks: z.ZodNumber;
    errors: z.ZodOptional<z.ZodArray<z.ZodObject<{
        path: z.ZodString;
        message: z.ZodString;
    }, z.core.$strip>>>;
}, z.core.$loose>;
export type ValidationResult = z.infer<typeof ValidationResult>;
export declare const InteractionStatus: z.ZodEnum<{
    error: "error";
    ok: "ok";
    truncated: "truncated";
}>;
export declare const InteractionEvent: z.ZodObject<{
    interaction_id: z.ZodString;
    trace_id: z.ZodOptional<z.ZodString>;
    route: z.ZodNullable<z.ZodString>;
    flag_key: z.ZodOptional<z.ZodString>;
    variant: z.ZodString;
    variant_reason: z.ZodString;
    flag_error: z.ZodOptional<z.ZodString>;
    subject_hash: z.ZodString;
    subject_generated: z.ZodBoolean;
    app: z.ZodOptional<z.ZodString>;
    tenant: z.ZodOptional<z.ZodString>;
    request: z.ZodObject<{
        messages: z.ZodArray<z.ZodObject<{
            role: z.ZodEnum<{
                system: "system";
                user: "user";
                assistant: "assistant";
                tool: "tool";
                developer: "developer";
            }>;
            content: z.ZodString;
            name: z.ZodOptional<z.ZodString>;
        }, z.core.$strip>>;
        input: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
        stream: z.ZodBoolean;
    }, z.core.$loose>;
    attempts: z.ZodArray<z.ZodObject<{
        model: z.ZodString;
        provider: z.ZodString;
        status: z.ZodEnum<{
            error: "error";
            ok: "ok";
            timeout: "timeout";
            circuit_open: "circuit_open";
            invalid_output: "invalid_output";
            truncated: "truncated";
        }>;
        http_status: z.ZodOptional<z.ZodNumber>;
        error_class: z.ZodOptional<z.ZodString>;
        latency_ms: z.ZodNumber;
        started_at: z.ZodISODateTime;
        usage: z.ZodOptional<z.ZodObject<{
            input_tokens: z.ZodNumber;
            output_tokens: z.ZodNumber;
            total_tokens: z.ZodNumber;
        }, z.core.$strip>>;
        cost_usd: z.ZodOptional<z.ZodNumber>;
        try: z.ZodOptional<z.ZodNumber>;
        repaired: z.ZodOptional<z.ZodBoolean>;
    }, z.core.$loose>>;
    final_model: z.ZodNullable<z.ZodString>;
    status: z.ZodEnum<{
        error: "error";
        ok: "ok";
        truncated: "truncated";
    }>;
    output: z.ZodNullable<z.ZodString>;
    output_json: z.ZodOptional<z.ZodUnknown>;
    validation: z.ZodObject<{
        schema: z.ZodBoolean;
        valid: z.ZodBoolean;
        repaired: z.ZodBoolean;
        reasks: z.ZodNumber;
        errors: z.ZodOptional<z.ZodArray<z.ZodObject<{
            path: z.ZodString;
            message: z.ZodString;
        }, z.core.$strip>>>;
    }, z.core.$loose>;
    usage: z.ZodObject<{
        input_tokens: z.ZodNumber;
        output_tokens: z.ZodNumber;
        total_tokens: z.ZodNumber;
    }, z.core.$strip>;
    cost_usd: z.ZodNumber;
    latency_ms: z.ZodNumber;
    started_at: z.ZodISODateTime;
    finished_at: z.ZodISODateTime;
}, z.core.$loose>;
export type InteractionEvent = z.infer<typeof InteractionEvent>;
export declare const FeedbackEvent: z.ZodObject<{
    feedback_id: z.ZodString;
    interaction_id: z.ZodString;
    route: z.ZodNullable<z.ZodString>;
    variant: z.ZodString;
    subject_hash: z.ZodString;
    rating: z.ZodEnum<{
        up: "up";
        down: "down";
    }>;
    reasons: z.ZodArray<z.ZodString>;
    comment: z.ZodOptional<z.ZodString>;
    correction: z.ZodOptional<z.ZodString>;
    revision: z.ZodNumber;
    created_at: z.ZodISODateTime;
}, z.core.$loose>;
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;
export declare const EvalCaseStatus: z.ZodEnum<{
    new: "new";
    accepted: "accepted";
    rejected: "rejected";
}>;
export type EvalCaseStatus = z.infer<typeof EvalCaseStatus>;
export declare const EvalCaseEvent: z.ZodObject<{
    case_id: z.ZodString;
    route: z.ZodString;
    action: z.ZodEnum<{
        accepted: "accepted";
        rejected: "rejected";
        created: "created";
        merged: "merged";
    }>;
    status: z.ZodEnum<{
        new: "new";
        accepted: "accepted";
        rejected: "rejected";
    }>;
    count: z.ZodNumber;
    input: z.ZodObject<{
        messages: z.ZodOptional<z.ZodArray<z.ZodObject<{
            role: z.ZodEnum<{
                system: "system";
                user: "user";
                assistant: "assistant";
                tool: "tool";
                developer: "developer";
            }>;
            content: z.ZodString;
            name: z.ZodOptional<z.ZodString>;
        }, z.core.$strip>>>;
        vars: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
    }, z.core.$loose>;
    output: z.ZodNullable<z.ZodString>;
    reasons: z.ZodArray<z.ZodString>;
    comment: z.ZodOptional<z.ZodString>;
    correction: z.ZodOptional<z.ZodString>;
    variant: z.ZodString;
    model: z.ZodNullable<z.ZodString>;
    flag_key: z.ZodOptional<z.ZodString>;
    lineage: z.ZodObject<{
        interaction_ids: z.ZodArray<z.ZodString>;
        feedback_ids: z.ZodArray<z.ZodString>;
        first_seen_at: z.ZodISODateTime;
        last_seen_at: z.ZodISODateTime;
    }, z.core.$loose>;
    created_at: z.ZodISODateTime;
}, z.core.$loose>;
export type EvalCaseEvent = z.infer<typeof EvalCaseEvent>;
