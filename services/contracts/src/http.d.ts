import { z } from 'zod';
/** Error body used by every service: `{"error": {type, message, details?, error_id?}}`. */
export declare const ErrorBody: z.ZodObject<{
    error: z.ZodObject<{
        type: z.ZodString;
        message: z.ZodString;
        details: z.ZodOptional<z.ZodUnknown>;
        error_id: z.ZodOptional<z.ZodString>;
    }, z.core.$strip>;
}, z.core.$strip>;
export type ErrorBody = z.infer<typeof ErrorBody>;
/** `POST /v1/feedback` body (feedback service). */
export declare const FeedbackRequest: z.ZodObject<{
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
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;
export declare const FeedbackAccepted: z.ZodObject<{
    feedback_id: z.ZodString;
}, z.core.$strip>;
export type FeedbackAccepted = z.infer<typeof FeedbackAccepted>;
