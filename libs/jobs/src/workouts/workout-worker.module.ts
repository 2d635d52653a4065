import { Module } from '@nestjs/common';
import { SaveWorkoutHandler } from './save-workout.handler';
import { WorkoutService } from './workout.service';

@Module({ controllers: [SaveWorkoutHandler], providers: [WorkoutService] })
export class WorkoutWorkerModule {}
