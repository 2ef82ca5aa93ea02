import GRDB

/// The schema, as named migrations applied in order, each in its own transaction.
/// Constraints live in the schema: status values, positive sizes, foreign keys.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("createSweeps") { db in
            try db.execute(sql: """
                CREATE TABLE sweep (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
                    spec TEXT NOT NULL DEFAULT '',
                    created TEXT NOT NULL
                )
                """)
        }
        migrator.registerMigration("createRuns") { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
                    name TEXT,
                    status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending','running','done','failed','diverged','interrupted')),
                    config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
                    n_layer INTEGER CHECK (n_layer > 0),
                    d_model INTEGER CHECK (d_model > 0),
                    n_head INTEGER CHECK (n_head > 0),
                    d_ff INTEGER CHECK (d_ff > 0),
                    params REAL NOT NULL CHECK (params > 0),
                    params_total REAL CHECK (params_total > 0),
                    tokens REAL NOT NULL CHECK (tokens > 0),
                    flops REAL NOT NULL CHECK (flops > 0),
                    seed INTEGER,
                    final_train_loss REAL CHECK (final_train_loss > 0),
                    final_val_loss REAL CHECK (final_val_loss > 0),
                    wall_seconds REAL CHECK (wall_seconds >= 0),
                    error TEXT,
                    host TEXT,
                    code_version TEXT,
                    created TEXT NOT NULL,
                    updated TEXT NOT NULL,
                    UNIQUE (sweep_id, name)
                );
                CREATE INDEX run_sweep_status ON run(sweep_id, status);
                """)
        }
        migrator.registerMigration("createMetrics") { db in
            try db.execute(sql: """
                CREATE TABLE metric (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL CHECK (step >= 0),
                    tokens_seen REAL NOT NULL CHECK (tokens_seen >= 0),
                    train_loss REAL,
                    val_loss REAL,
                    learning_rate REAL,
                    tokens_per_second REAL,
                    UNIQUE (run_id, step)
                )
                """)
        }
        migrator.registerMigration("createFits") { db in
            try db.execute(sql: """
                CREATE TABLE fit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('parametric','isoflop')),
                    sweep_id INTEGER REFERENCES sweep(id) ON DELETE SET NULL,
                    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
                    intervals TEXT CHECK (intervals IS NULL OR json_valid(intervals)),
                    run_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(run_ids)),
                    created TEXT NOT NULL
                )
                """)
        }
        migrator.registerMigration("addRunRole") { db in
            // Runs a sweep trains at larger compute only to check the law's extrapolation are
            // 'validation' runs: never used by fits.
            try db.execute(sql: """
                ALTER TABLE run ADD COLUMN role TEXT NOT NULL DEFAULT 'fit' CHECK (role IN ('fit','validation'))
                """)
        }
        migrator.registerMigration("addLossScaling") { db in
            // fp16 training's dynamic loss scale per logged step, and the steps it skipped.
            try db.execute(sql: "ALTER TABLE metric ADD COLUMN loss_scale REAL")
            try db.execute(sql: "ALTER TABLE metric ADD COLUMN skipped_steps INTEGER")
            try db.execute(sql: "ALTER TABLE run ADD COLUMN skipped_steps INTEGER")
        }
        migrator.registerMigration("addLearningRateFits") { db in
            // `ladder fit --method lr` stores learning-rate laws (kind 'lr'); SQLite cannot change a
            // CHECK constraint in place, so the table is rebuilt with its rows and ids.
            try db.execute(sql: """
                CREATE TABLE fit_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('parametric','isoflop','lr')),
                    sweep_id INTEGER REFERENCES sweep(id) ON DELETE SET NULL,
                    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
                    intervals TEXT CHECK (intervals IS NULL OR json_valid(intervals)),
                    run_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(run_ids)),
                    created TEXT NOT NULL
                );
                INSERT INTO fit_new (id, kind, sweep_id, parameters, intervals, run_ids, created)
                    SELECT id, kind, sweep_id, parameters, intervals, run_ids, created FROM fit;
                DROP TABLE fit;
                ALTER TABLE fit_new RENAME TO fit;
                """)
        }
        migrator.registerMigration("addRunIdentityAndLeases") { db in
            // Run identity (issue #19): a unique id per run that names its folder, so files of a run
            // of another database (or of a deleted one) are never taken for this run's. Runs stored
            // before keep NULL, and with it their id-named folders and checkpoints.
            try db.execute(sql: "ALTER TABLE run ADD COLUMN uuid TEXT")
            try db.execute(sql: "CREATE UNIQUE INDEX run_uuid ON run(uuid) WHERE uuid IS NOT NULL")
            // Run leases: who trains a run now (one row per claimed run).
            try db.execute(sql: """
                CREATE TABLE run_lease (
                    run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                    token TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    process_start TEXT NOT NULL,
                    acquired TEXT NOT NULL,
                    heartbeat TEXT NOT NULL
                )
                """)
        }
        return migrator
    }
}
