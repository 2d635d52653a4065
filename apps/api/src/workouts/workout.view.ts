import { WorkoutEntity } from '@baton/jobs';

export function workoutView(workout: WorkoutEntity) {
  return {
    id: workout.id,
    jobId: workout.jobId,
    userId: workout.userId,
    activity: workout.activity,
    startedAt: workout.startedAt.toISOString(),
    durationSec: workout.durationSec,
    distanceM: workout.distanceM,
    calories: workout.calories,
    notes: workout.notes,
    sets: (workout.sets ?? []).map((set) => ({ exercise: set.exercise, reps: set.reps, weightKg: set.weightKg })),
    createdAt: workout.createdAt.toISOString(),
  };
}
