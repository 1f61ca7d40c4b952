// Compile-time check (run by `tsc -p tsconfig.web.json`) that the widget's wire shape is exactly the
// contract's `FeedbackRequest`. Type-only and outside the bundles' import graph, so neither zod nor
// the private contracts package reaches dist/ or its `.d.ts`.
import type { FeedbackRequest } from '@flywheel/contracts';
import type { FeedbackBody } from './types';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type BodyMatchesContract = Assert<Same<FeedbackBody, FeedbackRequest>>;
