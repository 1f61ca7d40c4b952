import { z } from 'zod';
declare const exported: {
    readonly InteractionEvent: z.ZodObject<{
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
    readonly FeedbackEvent: z.ZodObject<{
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
    readonly EvalCaseEvent: z.ZodObject<{
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
    readonly ErrorBody: z.ZodObject<{
        error: z.ZodObject<{
            type: z.ZodString;
            message: z.ZodString;
            details: z.ZodOptional<z.ZodUnknown>;
            error_id: z.ZodOptional<z.ZodString>;
        }, z.core.$strip>;
    }, z.core.$strip>;
    readonly FeedbackRequest: z.ZodObject<{
        interaction_id: z.ZodString;
        token: z.ZodString;
        rating: z.ZodEnum<{
            up: "up";
            down: "down";
        }>;
        reasons: z.ZodOptional<z.ZodArray<z.ZodString>>;
        comment: z.ZodOptional<z.ZodString>;
        correction: z.ZodOptional<z.ZodString>;
    }, z.core.$strict>;
    readonly FeedbackAccepted: z.ZodObject<{
        feedback_id: z.ZodString;
    }, z.core.$strip>;
};
/** JSON Schema (draft 2020-12) for each exported contract, keyed by name. */
export declare function jsonSchemas(): Record<keyof typeof exported, unknown>;
export {};
