import { Static, Type } from '@sinclair/typebox';
import { ACTIVITIES, Activity, WorkoutEntity } from '@baton/jobs';
import { Nullable, StringEnum, Timestamp, Uuid } from '../http/schema-types';

export const WorkoutViewSchema = Type.Object(
  {
    id: Uuid(),
    jobId: Uuid(),
    userId: Type.String(),
    activity: StringEnum(ACTIVITIES),
    startedAt: Timestamp(),
    durationSec: Type.Integer(),
    distanceM: Nullable(Type.Number()),
    calories: Nullable(Type.Integer()),
    notes: Nullable(Type.String()),
    sets: Type.Array(
      Type.Object({ exercise: Type.String(), reps: Type.Integer(), weightKg: Nullable(Type.Number()) }, { title: 'WorkoutSet', additionalProperties: false }),
      { description: 'In the order sent.' },
    ),
    createdAt: Timestamp(),
  },
  { title: 'Workout', additionalProperties: false },
);
export type WorkoutView = Static<typeof WorkoutViewSchema>;

export function workoutView(workout: WorkoutEntity): WorkoutView {
  return {
    id: workout.id,
    jobId: workout.jobId,
    userId: workout.userId,
    // Stored from a validated payload: always one of ACTIVITIES.
    activity: workout.activity as Activity,
    startedAt: workout.startedAt.toISOString(),
    durationSec: workout.durationSec,
    distanceM: workout.distanceM,
    calories: workout.calories,
    notes: workout.notes,
    sets: (workout.sets ?? []).map((set) => ({ exercise: set.exercise, reps: set.reps, weightKg: set.weightKg })),
    createdAt: workout.createdAt.toISOString(),
  };
}
