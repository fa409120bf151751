// Learning-rate schedules: warm-up, constant, cosine and linear decay to zero.
#include "catch.hpp"

#include <smup/optim/schedule.hpp>

TEST_CASE("A constant schedule is 1 at every step", "[optim][schedule]") {
  smup::LrSchedule const s{};
  for (std::int64_t step : {0, 1, 10, 100000}) CHECK(s.factor(step) == 1.0);
}

TEST_CASE("Warm-up rises linearly to 1 and then holds", "[optim][schedule]") {
  smup::LrSchedule const s{.warmup_steps = 3};
  CHECK(s.factor(0) == 0.25);
  CHECK(s.factor(1) == 0.5);
  CHECK(s.factor(2) == 0.75);
  CHECK(s.factor(3) == 1.0);
  CHECK(s.factor(50) == 1.0);
}

TEST_CASE("Cosine decay falls from 1 to 0 between warm-up and total_steps", "[optim][schedule]") {
  smup::LrSchedule const s{.warmup_steps = 10, .decay = smup::LrDecay::cosine, .total_steps = 110};
  CHECK(s.factor(10) == 1.0);
  CHECK(s.factor(60) == Approx(0.5).margin(1e-15));
  CHECK(s.factor(109) > 0.0);
  CHECK(s.factor(110) == 0.0);
  CHECK(s.factor(500) == 0.0);
  for (std::int64_t step = 11; step < 110; ++step) CHECK(s.factor(step) < s.factor(step - 1));
}

TEST_CASE("Linear decay falls by equal steps to 0", "[optim][schedule]") {
  smup::LrSchedule const s{.decay = smup::LrDecay::linear, .total_steps = 4};
  CHECK(s.factor(0) == 1.0);
  CHECK(s.factor(1) == 0.75);
  CHECK(s.factor(2) == 0.5);
  CHECK(s.factor(3) == 0.25);
  CHECK(s.factor(4) == 0.0);
}

TEST_CASE("A schedule that cannot work is rejected with the field named", "[optim][schedule]") {
  CHECK_THROWS_WITH((smup::LrSchedule{.warmup_steps = -1}.factor(0)),
                    Catch::Contains("warmup_steps is negative"));
  CHECK_THROWS_WITH(
      (smup::LrSchedule{.warmup_steps = 10, .decay = smup::LrDecay::cosine, .total_steps = 10}
           .factor(0)),
      Catch::Contains("total_steps (10) must exceed warmup_steps (10)"));
  CHECK_THROWS_WITH(smup::LrSchedule{}.factor(-1), Catch::Contains("step is negative"));
}
