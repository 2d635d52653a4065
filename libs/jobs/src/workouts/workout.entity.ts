import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, Relation } from 'typeorm';

@Entity({ name: 'workouts' })
@Index('workouts_user_started_idx', ['userId', 'startedAt'])
export class WorkoutEntity {
  @PrimaryColumn('uuid')
  id: string;

  /**
   * Unique: one workout per job, whatever the number of deliveries. No
   * foreign key: the workout is the user's and outlives its job, which
   * retention deletes once finished.
   */
  @Column('uuid', { name: 'job_id', unique: true })
  jobId: string;

  /** The tenant of the job that created it. */
  @Column('text')
  tenant: string;

  @Column('varchar', { name: 'user_id', length: 64 })
  userId: string;

  @Column('text')
  activity: string;

  @Column('timestamptz', { name: 'started_at' })
  startedAt: Date;

  @Column('integer', { name: 'duration_sec' })
  durationSec: number;

  @Column('double precision', { name: 'distance_m', nullable: true })
  distanceM: number | null;

  @Column('integer', { nullable: true })
  calories: number | null;

  @Column('text', { nullable: true })
  notes: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @OneToMany(() => WorkoutSetEntity, (set) => set.workout)
  sets?: Relation<WorkoutSetEntity[]>;
}

@Entity({ name: 'workout_sets' })
export class WorkoutSetEntity {
  @PrimaryColumn('uuid', { name: 'workout_id' })
  workoutId: string;

  /** The set's place in the workout, as the client sent it. */
  @PrimaryColumn('integer')
  position: number;

  @ManyToOne(() => WorkoutEntity, (workout) => workout.sets, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workout_id', foreignKeyConstraintName: 'workout_sets_workout_id_fk' })
  workout?: Relation<WorkoutEntity>;

  @Column('varchar', { length: 100 })
  exercise: string;

  @Column('integer')
  reps: number;

  @Column('double precision', { name: 'weight_kg', nullable: true })
  weightKg: number | null;
}
