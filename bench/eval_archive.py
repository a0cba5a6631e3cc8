"""Generate a second, larger evaluation archive with planted facts and questions about them.

What it builds: the writing of a fictional pharmacist, Owen Hale, from 2011 to 2024 (Bristol,
then Stroud from April 2017): about 1,200 dated entries in the formats of a real folder,

- ``journal/journal-YYYY.md``: one Markdown journal per year, an entry per dated heading
  (``## 2014-03-02`` in even years, ``## Sunday 2 March 2014`` in odd ones);
- ``notes/YYYY/...txt``: plain-text notes dated by their file names (``2019-03-04.txt``,
  ``20190304.txt``, ``2019-03-04 title.txt``);
- ``essays/YYYY/*.md``: essays with YAML front matter (title, date, tags);
- ``logbook/logbook-YYYY.txt``: plain-text logbooks split by date lines (``=== 4 March 2019 ===``),

and ``questions.json`` beside it: questions about ~100 planted facts, for ``ponder eval``.

Most of each entry is everyday filler from templates that know the story (no dog before
the dog arrives, no allotment before the allotment), and the filler deliberately talks about
the same people, places and things as the facts (the dog at the vet's, the bike, the choir,
the hospital), so a question cannot be answered by one rare word. Each planted fact is one
paragraph of one entry, and its question is worded the way someone half-remembering it would
ask, with other words than the entry's ("when did we adopt the dog from the shelter?" for
"we brought Pepper home from the rescue centre"), so dense retrieval has to earn its place;
names and numbers stay in some questions, as they do in real ones, so full text does too.

Every entry has its own date, so a gold date names exactly one entry. Same seed, same bytes
(file mtimes included). The committed ``bench/eval_questions.json`` is this script's
question set for the default seed and size (a test checks it is in step).

    python bench/eval_archive.py OUT_DIR [--entries 1200] [--seed 11]
    ponder --archive OUT_DIR/archive --data-dir OUT_DIR/data ingest
    ponder --archive OUT_DIR/archive --data-dir OUT_DIR/data eval OUT_DIR/questions.json --mode all
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import random
import re
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SEED = 11
ENTRIES = 1200
FIRST, LAST = dt.date(2011, 1, 1), dt.date(2024, 12, 31)
AFTER = LAST + dt.timedelta(days=1)  # topics are available from start, until before end

# Turning points of the story: filler mentions a thing only while it exists.
JUDE = dt.date(2012, 10, 20)  # together from here (first drink: fact jude_date)
CHOIR = (dt.date(2012, 2, 20), dt.date(2017, 3, 31))
MARCUS_NEAR = dt.date(2015, 6, 1)  # Marcus in Bristol until then, Edinburgh after
NEPHEW, NIECE = dt.date(2014, 2, 1), dt.date(2017, 12, 1)
PEPPER = (dt.date(2016, 10, 1), dt.date(2024, 3, 20))
STROUD = dt.date(2017, 4, 20)  # moved from Bristol
CAR = dt.date(2018, 8, 1)
PHARMACY = dt.date(2018, 7, 1)  # hospital pharmacist before, community pharmacy after
ALLOTMENT = dt.date(2019, 5, 20)
WELSH = dt.date(2020, 2, 1)
LOCKDOWN = (dt.date(2020, 3, 23), dt.date(2021, 4, 12))


@dataclass(frozen=True)
class Fact:
    """A planted paragraph and the question that should find it (None: a distractor)."""

    id: str
    year: int
    months: tuple[int, int]
    text: str
    question: str | None


# fmt: off
FACTS: tuple[Fact, ...] = (
    Fact("smoking", 2012, (1, 2),
         "Day one without a cigarette. I smoked the last roll-up on the balcony at midnight, "
         "threw the pouch of Golden Virginia in the bin and then took the bin out so I couldn't "
         "fish it back.",
         "When did I give up tobacco?"),
    Fact("choir_join", 2012, (2, 3),
         "Went to my first rehearsal with the Easton community choir, in the hall behind the "
         "church on Chelsea Road. I stood at the back and mimed for an hour, and a woman called "
         "Bea caught me at it and grinned.",
         "When did I first turn up at choir?"),
    Fact("appendix", 2012, (3, 4),
         "Woke at four with a pain low on the right side like someone turning a screwdriver. By "
         "lunchtime I was in theatre at the BRI having my appendix out. The surgeon, who looked "
         "about nineteen, said it had been 'angry'.",
         "when did I end up having emergency surgery myself?"),
    Fact("torch", 2012, (5, 5),
         "The Olympic torch came down Stokes Croft this morning and I stood on a wall outside the "
         "Canteen with half of Easton to watch it go by. It took about nine seconds. A woman "
         "beside me had brought a stepladder and was charging a pound a go.",
         "the morning I watched the flame relay pass through our part of town"),
    Fact("bike_stolen", 2012, (6, 7),
         "Came out of the Watershed after a film and the bike was gone, the lock cut clean "
         "through and left on the pavement like a dropped scarf. The green Dawes I saved up for "
         "all winter. The police gave me a crime number and a look that said forget it.",
         "When was my bicycle stolen outside the cinema?"),
    Fact("prescriber", 2012, (9, 9),
         "Results came in: I've passed the independent prescribing course, which means from next "
         "month I can sign my own prescriptions on the wards. Eleven months of evenings and one "
         "terrifying viva.",
         "When did I qualify to write prescriptions myself?"),
    Fact("jude_date", 2012, (10, 10),
         "Went for a drink with Jude from choir at the Old Market Tavern and stayed until they "
         "put the big lights on. We talked about lighthouses, of all things, and whether a person "
         "could live in one, and I walked home the long way to keep the evening going.",
         "When did Jude and I go for our first drink together?"),
    Fact("kitchen_fire", 2013, (2, 2),
         "Set fire to a tea towel making pancakes. It went up in about two seconds. Jude threw it "
         "in the sink and we stood there with the smoke alarm shrieking, laughing the way you only "
         "laugh when something has nearly been very bad.",
         "when did I set something alight making pancakes?"),
    Fact("nain", 2013, (3, 3),
         "Nain died this morning in the care home in Llanelli, aged ninety-four, with Mum holding "
         "her hand and Radio Cymru on low. Mum rang me at work and said it in Welsh first, then "
         "in English, as if to make sure.",
         "When did Nain pass away?"),
    Fact("choir_solo", 2013, (4, 5),
         "Sang the solo in Bright Morning Stars at the spring concert in St Mark's. My knees shook "
         "so hard I was sure the front row could hear them. Bea said afterwards that grown men "
         "were weeping at the back, which I suspect was a lie, but a kind one.",
         "When did I perform on my own in front of an audience with the choir?"),
    Fact("gig", 2013, (6, 7),
         "Saw Public Service Broadcasting at the Colston Hall with Marcus, standing right by the "
         "speakers because he insisted. My ears were still whistling at lunchtime the next day.",
         "the concert that left my ears ringing"),
    Fact("green_man", 2013, (8, 8),
         "Green Man festival in the Brecon Beacons with Jude and Marcus: three days of mud, a tent "
         "that leaked at every seam, and a band from Cardiff I will be telling people about for "
         "years. The mountains came out of the cloud on the last morning like a reveal.",
         "which summer did we go to that music festival in Wales?"),
    Fact("collarbone", 2013, (10, 10),
         "Came off the bike on the railway path near Warmley, hit a patch of wet leaves and went "
         "straight over the handlebars. Broken collarbone. Six weeks in a sling and no cycling "
         "until the new year, the consultant said, as if that was the bad part.",
         "When did I fall off my bike and break a bone?"),
    Fact("phone_snatch", 2013, (12, 12),
         "Someone tried to grab my phone on Stapleton Road on the walk home. I held on without "
         "thinking, he gave up and ran, and my hands didn't stop shaking until I was inside with "
         "the door locked.",
         "When did someone try to rob me in the street?"),
    Fact("new_bike", 2014, (1, 1),
         "Bought a new road bike with the insurance money and most of my savings: a blue Ribble "
         "with proper gears, £890. Rode it round the block three times in the dark just to feel "
         "it.",
         "when did I get the blue Ribble?"),
    Fact("nephew", 2014, (2, 2),
         "Ffion had the baby at three in the morning: a boy, Gethin, eight pounds exactly, with a "
         "full head of black hair like a tiny Elvis. Mum rang at six, crying so much I thought "
         "something had gone wrong.",
         "When was my sister's little boy born?"),
    Fact("morphine", 2014, (3, 4),
         "Nearly gave a patient on Ward 9 ten times his dose of morphine: a decimal point in the "
         "wrong place on a handwritten chart, and I only caught it at the final check. I didn't "
         "sleep. I keep seeing that little dot.",
         "the near miss at work with a painkiller dose"),
    Fact("tattoo", 2014, (5, 5),
         "Got the tattoo at last, a small swallow on the inside of my left wrist, at a studio on "
         "Park Street. It hurt less than I'd been told and more than I'd hoped.",
         "When did I get inked?"),
    Fact("dragon_ride", 2014, (6, 6),
         "Rode the Dragon Ride today with Marcus, the long route from Margam Park over the Bwlch "
         "and back. Nine hours and eleven minutes. I cried at the top of the Devil's Elbow and I "
         "am not ashamed of it.",
         "How long did that big organised bike ride in Wales take Marcus and me?"),
    Fact("ceiling", 2014, (9, 10),
         "The washing machine in the flat upstairs leaked through our kitchen ceiling overnight. "
         "We woke to a dripping sound and a bulge in the plaster the size of a beach ball, and "
         "spent the morning catching water in every saucepan we own.",
         "When did water come down through the ceiling from the neighbours?"),
    Fact("middlemarch", 2014, (11, 12),
         "Finally finished Middlemarch, nine hundred pages, mostly on the number 48 bus. I have "
         "been reading it since April. Dorothea deserved better and so, frankly, did I.",
         "When did I get to the end of that enormous Victorian novel?"),
    Fact("neighbour", 2015, (1, 1),
         "The man downstairs has started parking his van across our bins. I left a polite note. "
         "He left a less polite note. Jude suggests either a mediator or open war.",
         "the row with the downstairs neighbour about where he parked"),
    Fact("marcus_moves", 2015, (2, 3),
         "Marcus is moving to Edinburgh for a research job at the university. He told me over a "
         "pint at the Plough, very casually, and I said brilliant, and then I went home and sat "
         "on the stairs for an hour.",
         "When did my cycling friend say he was moving to Scotland?"),
    Fact("thirtieth", 2015, (4, 4),
         "For my thirtieth Jude gave me a restored Pentax camera from the 1970s and a roll of "
         "black-and-white film, wrapped in an old map of the Gower.",
         "What did Jude give me for my 30th birthday?"),
    Fact("promotion", 2015, (4, 5),
         "Got the band 7 post: lead pharmacist for the surgical wards. Jude bought a bottle of "
         "cava and we drank it out of mugs because every glass in the flat was dirty.",
         "When did I become lead pharmacist on the surgical side?"),
    Fact("passport", 2015, (6, 7),
         "Lost my passport the day before we were due to fly to Lisbon. Found it at midnight in "
         "the freezer, inside a bag of peas, and I have no memory whatsoever of putting it there.",
         "the time my travel document turned up somewhere ridiculous"),
    Fact("glasses", 2015, (8, 9),
         "The optician says I need glasses for reading and for the computer. I chose heavy black "
         "frames that Jude says make me look like a geography teacher from 1974.",
         "When did I first need spectacles?"),
    Fact("proposal", 2015, (10, 10),
         "Asked Jude to marry me at the top of Cabot Tower on Brandon Hill, in the drizzle, with "
         "a ring I had been carrying in my coat pocket for three weeks. Jude said yes before I'd "
         "finished the sentence, then 'obviously', and then we got chips.",
         "When did I propose to Jude?"),
    Fact("scratchcard", 2015, (12, 12),
         "Won £250 on a scratchcard Mum put in my Christmas stocking. Spent most of it on a "
         "winter coat and the rest on a very good bottle of whisky.",
         "the small gambling win at Christmas"),
    Fact("burglary", 2016, (2, 3),
         "Someone broke into the flat while we were both at work. They took the laptop, my bike "
         "lights and, for reasons nobody can explain, a bag of frozen sweetcorn.",
         "When was the flat broken into?"),
    Fact("interview_fail", 2016, (4, 4),
         "Didn't get the chief pharmacist job at Southmead. The feedback was that I 'lacked "
         "strategic presence', which I have been saying to Jude in a deep voice all evening.",
         "the senior hospital job I applied for and didn't get"),
    Fact("snowdon", 2016, (5, 5),
         "Climbed Snowdon with Jude by the Pyg Track, in cloud the entire way, and saw nothing at "
         "the summit but the café and a man in flip-flops eating a pasty.",
         "When did Jude and I go up Snowdon?"),
    Fact("wedding", 2016, (7, 7),
         "We got married at the register office on Corn Street and then had a long lunch at the "
         "Thali Café with twenty-six people and a cake Ffion made in the shape of a medicine "
         "bottle.",
         "What was our wedding day like?"),
    Fact("honeymoon", 2016, (8, 8),
         "Honeymoon in Iceland: we drove the south coast in a hire car the size of a shoebox, saw "
         "the black sand at Vík, and Jude fell asleep in the hot pool at Seljavallalaug.",
         "Where did we go for our trip after getting married?"),
    Fact("pepper", 2016, (9, 9),
         "We brought Pepper home from the rescue centre in Bridgend: a springer cross, two years "
         "old, terrified of carrier bags and the kettle. She spent her first night under the "
         "kitchen table and would not come out even for chicken.",
         "When did we adopt the dog from the shelter?"),
    Fact("root_canal", 2016, (11, 11),
         "Root canal at the dentist on Gloucester Road: ninety minutes with my mouth wedged open "
         "and Magic FM on the radio. The dentist hummed along to Lionel Richie while he drilled.",
         "When did I have that awful tooth treatment?"),
    Fact("deposit", 2016, (12, 12),
         "Did the sums: we have saved £21,400 towards a deposit, most of it in the last two years "
         "by never going anywhere. Jude has made a chart for the fridge with a thermometer you "
         "colour in, like a church roof appeal.",
         "how much had we saved up for the house deposit?"),
    Fact("driving_test", 2017, (1, 2),
         "Passed my driving test at the third attempt, in Kingswood, with an examiner who said "
         "nothing at all for forty minutes except 'left here'.",
         "When did I finally get my licence?"),
    Fact("last_choir", 2017, (3, 3),
         "Last rehearsal with the choir before we move. They sang Calon Lân at me at the end, "
         "badly and beautifully, and Bea gave me a card signed by all forty of them.",
         "my goodbye to the singers before we left Bristol"),
    Fact("house", 2017, (4, 4),
         "Completed on the house on Horns Road in Stroud. The solicitor rang at two, the keys "
         "were at the estate agent's at three, and by four we were sitting on bare floorboards "
         "eating a meal deal, listening to the house tick.",
         "When did the sale go through on our home?"),
    Fact("edinburgh", 2017, (5, 5),
         "Long weekend in Edinburgh with Marcus. We walked up Arthur's Seat in a gale and he "
         "showed me the lab where he works, which looks like any room full of computers but "
         "smells of burnt coffee.",
         "when did I go and see Marcus in Scotland?"),
    Fact("tash_wedding", 2017, (6, 6),
         "Tash's wedding in a barn above Hebden Bridge. I read the Raymond Carver poem, Late "
         "Fragment, and got through it without my voice going until the very last line.",
         "What did I read out at my university friend's wedding?"),
    Fact("panic", 2017, (8, 8),
         "Had a panic attack in the big Tesco: heart going like a drum, hands numb, the strip "
         "lights suddenly far too loud. I left a full trolley in the frozen aisle and sat in the "
         "car park for half an hour.",
         "when did I have a panic attack in the supermarket?"),
    Fact("signed_off", 2017, (9, 9),
         "The GP signed me off for three weeks. Stress, it says on the note, which is a very "
         "small word for what this feels like. I cried in the surgery car park, which seems to "
         "be where I do it now.",
         "When was I signed off sick from work?"),
    Fact("counsellor", 2017, (10, 10),
         "First session with the counsellor, Margaret, in a room above an estate agent's on the "
         "High Street. She asked what I wanted from it and I said sleep, and she wrote that down "
         "as if it were a perfectly reasonable answer.",
         "When did I begin seeing a therapist?"),
    Fact("niece", 2017, (11, 11),
         "Ffion's second baby arrived this morning, a girl, Mali, small and furious and perfect. "
         "Gethin is reportedly unimpressed and wants to know when she is going back.",
         "When was my sister's daughter born?"),
    Fact("snow_stranded", 2018, (2, 3),
         "The snow came in from the east and didn't stop. The roads home were shut, so I slept "
         "two nights in the on-call room at the infirmary with a borrowed toothbrush and a "
         "pharmacy fleece for a pillow.",
         "when did the snow trap me at the hospital?"),
    Fact("stroud_job", 2018, (5, 5),
         "Signed the contract for the manager's job at the pharmacy on Gloucester Street. More "
         "money, no more nights on call, and a four-minute walk instead of an hour on the A38.",
         "When did I take the job running a local chemist's?"),
    Fact("hospital_leaving", 2018, (6, 6),
         "Last shift at the infirmary. The surgical team gave me a card shaped like a pill and a "
         "mug that says WORLD'S OKAYEST PHARMACIST.",
         "my last day at the infirmary"),
    Fact("first_day_shop", 2018, (7, 7),
         "First day in charge at the pharmacy. Kerry, who has worked there for twenty-two years, "
         "showed me where the kettle lives and told me the last manager cried in the stockroom "
         "most Fridays.",
         "what was my first day like as the new boss at the chemist's?"),
    Fact("car", 2018, (7, 8),
         "Bought our first car from a man in Nailsworth: a red Skoda Fabia with 61,000 miles on "
         "the clock and a dent in the passenger door shaped like Wales. £3,200.",
         "How much did I pay for our first car?"),
    Fact("gethin_school", 2018, (9, 9),
         "Gethin started school today in Swansea. Ffion sent a photo: a jumper down to his knees "
         "and a face like he was off to war.",
         "Gethin's first day at school"),
    Fact("pepper_lost", 2018, (10, 11),
         "Pepper ran off after a deer in Woodchester Park and was gone for four hours. We walked "
         "every path shouting until our voices went. She turned up at the car park at dusk, "
         "soaked and delighted with herself.",
         "when did Pepper run off in the woods?"),
    Fact("no_children", 2018, (12, 12),
         "Jude and I talked properly, for once, about children, sitting up in bed with cold tea. "
         "We both said it out loud: we don't want them. It felt less like deciding than like "
         "reading something we had both written down years ago.",
         "When did we decide not to become parents?"),
    Fact("mum_wrist", 2019, (1, 2),
         "Mum slipped on the ice on the library steps and broke her wrist in two places. Ffion "
         "rang from A&E at Morriston. I drove down after work, two hours in the rain, and Mum's "
         "first words were 'you didn't need to come'.",
         "When did my mother hurt her arm falling outside?"),
    Fact("jude_job", 2019, (3, 3),
         "Jude got the job at the Stroud Valleys Project, running their community growing "
         "scheme: three days a week, a muddy van, and a boss who brings her goats to the office.",
         "When did Jude start the community gardening job?"),
    Fact("allotment", 2019, (5, 5),
         "Got the email from the council: plot 23b at the Daisy Bank allotments is ours, after "
         "two years on the waiting list. Half of it is brambles and the other half is a "
         "collapsed shed.",
         "When did we get our allotment?"),
    Fact("marcus_wedding", 2019, (6, 6),
         "Best man at Marcus's wedding in Leith. The speech got laughs in the right places and "
         "one in the wrong place, and the bride's granny told me I would 'do'.",
         "When did I give a speech at my friend's wedding?"),
    Fact("pepper_op", 2019, (8, 8),
         "Pepper ate a whole corn cob out of the bin and the vet had to operate to get it out. "
         "£1,400, a plastic cone, and five days of her looking at us as though we'd done it on "
         "purpose.",
         "When did the dog need an operation after swallowing something?"),
    Fact("lon_las", 2019, (9, 9),
         "Finished riding Lôn Las Cymru: Holyhead to Cardiff in five days, 250 miles, two "
         "punctures and one night in a bunkhouse that smelled of wet sheep.",
         "When did I cycle from one end of Wales to the other?"),
    Fact("jury", 2019, (10, 11),
         "Jury service at Gloucester Crown Court, week one. Nine days of a case about a stolen "
         "digger, and a foreman who ran the deliberations like a pub quiz.",
         "When was I called up to sit in judgement at the courts?"),
    Fact("welsh", 2020, (2, 2),
         "Started Welsh lessons online, Tuesday evenings, with a tutor in Aberystwyth called "
         "Siân. Mum is delighted and now leaves voicemails only in Welsh, which is not the "
         "encouragement she thinks it is.",
         "When did I start learning my family's language?"),
    Fact("lockdown_bday", 2020, (4, 4),
         "Thirty-five in lockdown: a video-call quiz with the old choir lot and a cake Jude made "
         "from a packet mix, with Smarties spelling OWEN, minus the N, which Pepper ate.",
         "How did I celebrate my birthday during the first lockdown?"),
    Fact("shed", 2020, (4, 5),
         "Built a shed on the allotment out of pallets and a door from the tip. It leans slightly "
         "towards Stroud as though it's trying to hear something.",
         "When did I build the shed at the allotment?"),
    Fact("sourdough", 2020, (5, 6),
         "First loaf from the sourdough starter (named Gwyneth, by Jude) that didn't come out "
         "like a paving slab. Open crumb, a crust that crackled, and I took eleven photos of it.",
         "When did my homemade bread finally turn out properly?"),
    Fact("ffion_split", 2020, (7, 8),
         "Ffion rang late: she and Rhodri are separating. Eleven years. She said it quietly, the "
         "way she used to tell me she'd broken something of mine when we were small.",
         "When did my sister's marriage break up?"),
    Fact("show_2020", 2020, (8, 8),
         "The Daisy Bank summer show is cancelled this year, of course. Mr Okoro held his own "
         "show on his plot for an audience of me and a robin and awarded himself first prize.",
         None),
    Fact("jude_dad", 2020, (9, 10),
         "Jude's dad had a stroke this morning while doing the crossword. He's in Gloucestershire "
         "Royal; he can squeeze a hand and says 'bloody hell' very clearly, which the nurse says "
         "is a good sign.",
         "When was Jude's father rushed into hospital?"),
    Fact("robbery", 2020, (11, 12),
         "A man with a screwdriver came into the pharmacy ten minutes before closing and "
         "demanded the controlled drugs. Kerry pressed the alarm under the counter and he ran off "
         "with nothing but a box of throat lozenges.",
         "When was the chemist's held up?"),
    Fact("bea_died", 2021, (1, 2),
         "Bea died on Sunday. The choir found out on the group chat: one message and then forty "
         "hearts. She was the one who taught me to breathe from the stomach when I was terrified "
         "of singing.",
         "When did my friend from the old choir die?"),
    Fact("kitchen", 2021, (3, 3),
         "The new kitchen is finished after nine weeks of living off a microwave in the front "
         "room. Sage green cupboards, a proper extractor, and a tap Jude keeps turning on just to "
         "watch it.",
         "When was the kitchen renovation done?"),
    Fact("vaccine", 2021, (4, 4),
         "Our pharmacy started giving Covid vaccinations today and I did a hundred and forty "
         "jabs. My thumb aches from the plunger. An old man cried and said it was the first time "
         "anyone had touched him since March.",
         "When did I start vaccinating people at work?"),
    Fact("mum_70", 2021, (6, 6),
         "Mum's seventieth at a seafood place in Mumbles: twelve of us, a cake with sparklers, "
         "and Mum giving a speech nobody expected, in Welsh, that made Ffion leave the table.",
         "How did we celebrate Mum turning seventy?"),
    Fact("onions_prize", 2021, (8, 8),
         "Our onions came second at the Daisy Bank summer show. Second! Behind Mr Okoro, who has "
         "won every year since 2009 and shook my hand like a man who knew he'd win again.",
         "When did we win a prize for something we grew?"),
    Fact("crash", 2021, (10, 11),
         "Someone went into the back of the Skoda at the roundabout by Cainscross. Nobody hurt. "
         "The bumper is hanging off and the other driver kept apologising and then asking whether "
         "we'd really need to involve insurance.",
         "When was the Skoda rear-ended?"),
    Fact("covid", 2022, (3, 4),
         "Tested positive this morning after two years of dodging it. Jude is negative so far, "
         "so I'm shut in the spare room with meals left outside the door on a tray like a "
         "prisoner.",
         "When did I test positive for Covid?"),
    Fact("mum_move", 2022, (5, 5),
         "Mum has decided to sell the house in Sketty and move into a flat by the marina. "
         "Forty-one years in that house, and she told me on the phone as if she was telling me "
         "what she'd had for lunch.",
         "When did Mum say she was leaving the family home?"),
    Fact("bees", 2022, (6, 6),
         "A swarm of bees landed in the old apple tree on our plot. A beekeeper from Randwick came "
         "with a cardboard box and a soft brush and talked to them the whole time like a nurse.",
         "when did a swarm turn up at the allotment?"),
    Fact("welsh_exam", 2022, (7, 7),
         "Passed the Sylfaen exam with a merit. The speaking part was with a man from Carmarthen "
         "who asked me about my dog for ten minutes, which was lucky, because that is all I can "
         "talk about in Welsh.",
         "When did I pass my language exam?"),
    Fact("swim", 2022, (7, 7),
         "Swam a mile in the lido at Stratford Park for the hospice, sixty-four lengths, in a time "
         "I will not be writing down. Raised £620, mostly from people at work who wanted to see "
         "me in trunks.",
         "When did I do the sponsored swim?"),
    Fact("squash_stolen", 2022, (8, 9),
         "Someone stole every squash off our plot the night before the show, including the big "
         "Crown Prince I'd been turning every morning like a baby. Mr Okoro was genuinely outraged "
         "on my behalf.",
         "When did a thief take our pumpkins off the allotment?"),
    Fact("solar", 2022, (10, 10),
         "The solar panels went on the roof today: twelve of them, scaffolding everywhere, and an "
         "app that shows what we're generating, which Jude now checks more often than the news.",
         "When did we get the roof fitted to make our own electricity?"),
    Fact("pottery", 2023, (1, 2),
         "First evening of the pottery class at the Museum in the Park. I made a bowl that "
         "collapsed, then a smaller bowl that also collapsed, then a thing the tutor kindly "
         "called 'a dish'.",
         "When did I take up throwing pots on a wheel?"),
    Fact("jude_scan", 2023, (4, 5),
         "Jude's scan came back clear. Three weeks of waiting after the lump, and it's a cyst: a "
         "harmless little bag of fluid. We sat in the car outside the hospital and didn't say "
         "anything for ten minutes.",
         "When did Jude's lump turn out to be nothing?"),
    Fact("show_2023", 2023, (8, 8),
         "Came nowhere at the show this year. The beetroot were the size of golf balls and Mr "
         "Okoro said, kindly, that they had 'character'.",
         None),
    Fact("award", 2023, (9, 10),
         "The pharmacy won Gloucestershire community pharmacy of the year. Kerry wore a sequinned "
         "jacket to the dinner and cried in the taxi home.",
         "When did the shop I manage win an award?"),
    Fact("cold_swim", 2023, (11, 11),
         "Went in at Clevedon Marine Lake with a group of women from work who do it every Sunday. "
         "Eleven degrees. I screamed, then I swore, then I felt better than I have all year.",
         "When did I start cold-water swimming with the women from work?"),
    Fact("storm_tree", 2024, (1, 1),
         "Storm Henk brought down the big ash at the bottom of the allotments overnight. It missed "
         "our shed by a yard and flattened the compost bays, and half the site came up in the "
         "rain to look at it.",
         "the gale that knocked a tree over on the allotments"),
    Fact("pepper_died", 2024, (3, 3),
         "We said goodbye to Pepper this morning at the vet's on Rowcroft. She was ten, or near "
         "enough, and her back legs had gone. Jude held her head and I held her paws, and she "
         "went to sleep looking at us.",
         "When did Pepper die?"),
    Fact("jude_40", 2024, (6, 7),
         "Jude's fortieth: a surprise party at the allotment, fairy lights strung across the bean "
         "poles, and fifty people Jude didn't know I knew how to get hold of.",
         "How did I surprise my partner for their milestone birthday?"),
    Fact("dot", 2024, (11, 11),
         "We have a new dog. I didn't think we would so soon. A greyhound called Dot, retired "
         "from racing at Towcester, who sleeps twenty hours a day and is afraid of the stairs.",
         "When did we get the greyhound?"),
)

# Questions whose answer is several planted entries (themes, "every time I...").
MULTI: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("m_hospital", "every time I ended up in hospital as a patient myself",
     ("appendix", "collarbone")),
    ("m_sister_kids", "when were each of my sister's children born?", ("nephew", "niece")),
    ("m_dog_vet", "the times something happened to Pepper that needed the vet",
     ("pepper_op", "pepper_died")),
    ("m_wedding_roles", "friends' weddings where I had a part to play",
     ("tash_wedding", "marcus_wedding")),
    ("m_thieves", "all the times we've had things stolen",
     ("bike_stolen", "burglary", "squash_stolen", "robbery")),
    ("m_2017", "when my mental health fell apart in 2017", ("panic", "signed_off", "counsellor")),
    ("m_rides", "the long-distance cycling challenges I've done", ("dragon_ride", "lon_las")),
    ("m_show_2021", "how did we do at the allotment show in 2021?", ("onions_prize",)),
    ("m_mum_2019", "what happened to Mum in 2019?", ("mum_wrist",)),
    ("m_bday_2015", "what did I get for my birthday in 2015?", ("thirtieth",)),
)
# fmt: on


# -- filler -------------------------------------------------------------------------------
# Everyday writing from templates. Every template has slots filled from word lists, so that
# a sentence seldom repeats word for word: hundreds of identical sentences would be a
# distractor no real archive has.


def _options(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


WORDS: dict[str, tuple[str, ...]] = {
    name: _options(text)
    for name, text in {
        "weather": """
            Grey and mild
            Bright and cold
            Drizzle all day
            A wild westerly
            Fog until lunchtime
            Warm, for once
            Hail at teatime
            Sunny but raw
            Rain on and off
            Still and damp
            A hard frost
            Muggy and close
            Blustery and bright
            Sleet in the morning
            Soft rain all afternoon
            A heavy, yellow sort of sky
            Cold enough for gloves
            Thundery and warm
        """,
        "sky": """
            the sky the colour of dishwater
            a thin blue sky
            clouds coming in low from the west
            a pink sky over the rooftops
            the light going by four
            puddles everywhere
            a rainbow over the terraces
            the wind rattling the letterbox
            the gutters overflowing
            a low orange sun in everybody's eyes
            frost on the car roofs
            a smell of bonfires
            gulls blown inland
            the trees thrashing about
            mist sitting in the valley
        """,
        "meal": """
            a lentil dal
            shepherd's pie
            cheese on toast
            a risotto that went gluey
            fish finger sandwiches
            a tray of roast vegetables
            leek and potato soup
            a curry from a jar
            pasta with whatever was in the fridge
            cawl, Mum's way
            a stir-fry
            beans on toast
            a chickpea stew
            sausages and mash
            a mushroom pie
            omelettes
            baked potatoes with too much butter
            a Thai green curry
            macaroni cheese
            soup and bread from the market
            a vegetable lasagne
            jacket potatoes and coleslaw
            noodles in a hurry
            a roast chicken on a weekday
        """,
        "show": """
            the new series of the detective thing
            a documentary about whales
            the snooker
            an old Cary Grant film
            the quiz shows
            the baking competition
            a Scandinavian crime drama
            the rugby
            the news, unfortunately
            a programme about canals
            a period drama with a lot of bonnets
            the football highlights
            a nature programme about owls
            a comedy panel show
            a film about a heist
        """,
        "book": """
            a crime novel from the library
            a book about trees
            short stories Jude lent me
            a biography of a mountaineer
            a thriller set in Oslo
            a memoir by a nurse
            poems I only half understand
            a history of the Severn
            a novel about a lighthouse keeper
            a book on bread
            a travel book about Patagonia
            a fat fantasy novel
            essays about walking
            a spy novel from a charity shop
        """,
        "worry": """
            money
            Mum on her own
            whether I'm any good at my job
            the boiler
            nothing in particular
            the state of the world
            getting older
            an email I haven't answered
            a mole on my back
            the rent going up
            Ffion
            the damp in the bathroom
            a conversation at work that went wrong
            the car making a noise
        """,
        "wish": """
            read more and scroll less
            learn to cook something properly
            go to bed before eleven
            ring Mum more often
            get out on the bike at weekends
            see the sea more
            be kinder to myself, whatever that means
            save a bit each month
            learn the names of birds
            write more letters
            take a proper holiday
            drink more water
        """,
        "chore": """
            hoovered the stairs
            cleaned the oven
            defrosted the freezer
            changed the beds
            did three loads of washing
            sorted the recycling
            descaled the kettle
            cleared out the cupboard under the stairs
            washed the windows
            bled the radiators
            mended the wobbly chair
            scrubbed the bathroom grout
        """,
        "errand": """
            posted a parcel to Ffion
            took the library books back
            picked up a prescription for Mum
            got my hair cut
            bought new shoelaces
            took a bag to the charity shop
            got a key cut
            paid in a cheque, like it was 1995
            returned a jumper that didn't fit
            bought stamps and a birthday card
        """,
        "news": """
            the election
            the floods on the Levels
            the price of everything
            a story about a lost whale
            the strikes
            the heatwave in Europe
            yet another storm with a name
            the state of the NHS
            the government, again
            a cat that was elected mayor somewhere
        """,
        "bird": """
            a wren
            two magpies
            a heron
            a robin
            a pair of goldfinches
            a sparrowhawk
            a blackbird
            a jackdaw
            a green woodpecker
            a buzzard
        """,
        "ailment": """
            a stiff neck
            a cold coming on
            a headache behind my eyes
            a sore back
            hay fever
            a twinge in my knee
            a mouth ulcer
            heartburn
        """,
        "veg": """
            beans
            courgettes
            onions
            potatoes
            leeks
            beetroot
            chard
            garlic
            carrots
            squashes
            peas
            lettuces
        """,
        "ward": """
            9
            12
            14
            4
            7
        """,
        "when": """
            before work
            after tea
            at lunchtime
            first thing
            in the afternoon
            late in the evening
            on the way home
        """,
    }.items()
}
BRISTOL_WORDS = {
    "walk": _options("""
        along the harbourside
        up to the top of Brandon Hill
        through St Andrews Park
        round Eastville Park and the lake
        down the Frome path
        across the Downs
        along the river to the Feeder
        through Snuff Mills
    """),
    "shop": _options("""
        the Co-op on Stapleton Road
        the big Sainsbury's
        the corner shop
        St Nick's market
        the Turkish grocer's
    """),
    "friend": _options("""
        Bea
        Tash, on the phone
        Priti from work
        Dan from the dispensary
        Marcus
    """),
    "place": _options("""
        Easton
        Gloucester Road
        the harbourside
        Stokes Croft
        Clifton
    """),
}
STROUD_WORDS = {
    "walk": _options("""
        up Rodborough Common
        along the canal towards Ebley
        round Woodchester Park
        up Selsley Common
        to the top of Swifts Hill
        through Stratford Park
        down to the Five Valleys
        along the old railway line
    """),
    "shop": _options("""
        the Co-op
        the farmers' market
        the big Tesco
        the market on Saturday
        the hardware shop on the High Street
    """),
    "friend": _options("""
        Lou next door
        Kerry from work
        Tash, on the phone
        the Hendersons
        Mr Okoro
    """),
    "place": _options("""
        Stroud
        Nailsworth
        the High Street
        Cainscross
        Minchinhampton
    """),
}


@dataclass(frozen=True)
class Topic:
    """A kind of everyday paragraph, with when in the story it can happen."""

    name: str
    title: str
    sentences: tuple[str, ...]
    start: dt.date = FIRST
    end: dt.date = AFTER


def _topic(name: str, title: str, text: str, start: dt.date = FIRST, end: dt.date = AFTER) -> Topic:
    return Topic(name, title, _options(text), start, end)


TOPICS: tuple[Topic, ...] = (
    _topic(
        "weather",
        "Weather",
        """
        {weather} today, {sky}.
        {weather} again, and I spent too long at the window looking at it.
        Walked {walk} {when} with my collar up; {sky}.
        The forecast promised sunshine and delivered {sky}.
        {weather}. The washing has been out two days and is wetter than when it went out.
        First properly warm evening in a while; we ate outside with jumpers on and watched {bird}.
        {bird} was on the fence when I got up, which felt like a good sign.
        {weather}, {sky}, and the whole street looked sorry for itself.
        By {when} it was {weather}, which nobody had mentioned.
        Went out {when} without a coat and regretted it: {weather}.
    """,
    ),
    _topic(
        "hospital",
        "Work",
        """
        Long day on the surgical wards; {ailment} by the end of it.
        Ward round with the consultants took all morning; I fretted about {worry} over lunch.
        A drug chart on Ward {ward} that looked like it had been written in the dark.
        The dispensary was two people down and the discharges queued until gone six.
        An agency nurse asked me where the drug fridge was, three times, very politely.
        The prescribing system crashed twice before ten and we went back to paper and swearing.
        Talked a junior doctor out of a bad antibiotic combination on Ward {ward}.
        Spent an hour on the phone chasing a patient's insulin from another hospital.
        Sandwich at my desk at three, which counts as lunch in a hospital.
        One of the old men on Ward {ward} calls me 'the chemist' and asks after my mother.
        Audit meeting about missed doses; I said something sensible for once.
        Covered the on-call bleep overnight and got four calls, one of them about a parrot.
    """,
        end=PHARMACY,
    ),
    _topic(
        "pharmacy",
        "Work",
        """
        Busy day at the counter, a queue out of the door by ten.
        The wholesaler's order came without half of what we needed, so I was on the phone {when}.
        A regular brought in a tin of biscuits for the staff, which lasted eleven minutes.
        Flu jabs all afternoon, sleeves rolled up, one after another.
        Kerry and I did the stock check and found forty boxes of plasters nobody ordered.
        A man argued with me about the price of paracetamol, then bought two packets.
        Did three blood-pressure checks and one long chat about a cat.
        The till froze twice, so we wrote things on paper like shopkeepers in a museum.
        Locked up at half six and stood in {place} for a minute doing nothing.
        A little girl asked whether we sell medicine for sad dogs.
        The new locum started; she's good, and quicker than me at the computer.
        Someone's nan rang four times to check her tablets hadn't changed colour.
    """,
        start=PHARMACY,
    ),
    _topic(
        "commute",
        "Getting about",
        """
        Cycled in along the railway path {when}, the wind in my face both ways somehow.
        Got a puncture {when} and walked the last mile pushing the bike.
        The bus was late and then two came at once, as is the law.
        Took the train and read {book} instead of looking at my phone.
        The bike needs new brake pads; it squeals like a pig on every hill.
        Cycled home in the dark with the lights flashing, feeling invincible and damp.
        A man on the bus told me the whole plot of a film I was planning to see.
        The road through {place} was dug up again, so everybody was late and cross.
    """,
    ),
    _topic(
        "car",
        "Getting about",
        """
        The Skoda needs an MOT and I keep forgetting to book it.
        Drove down to see Mum; the bridge traffic was dreadful, so I learned a podcast by heart.
        Filled the car up and winced at the price.
        Sat in traffic through {place} listening to a programme about volcanoes.
        The car made a new noise, a sort of tut, and then stopped making it.
    """,
        start=CAR,
    ),
    _topic(
        "cooking",
        "Food",
        """
        Made {meal} for tea.
        Jude made {meal} and I did the washing up, which is the deal.
        Too tired to cook, so it was {meal} again.
        Tried a new recipe for {meal}; it was fine, which is to say not great.
        Bought too much at {shop} and now the fridge is a game of Tetris.
        We had {meal}, then sat at the table talking until the candle went out.
        Lunch was {meal}, eaten standing up.
        Batch-cooked {meal} on Sunday so the week would be easier; it wasn't, but the food was.
        Burned {meal} while answering the door to a man selling dusters.
    """,
    ),
    _topic(
        "evening",
        "Evenings",
        """
        Watched {show} and fell asleep halfway through.
        Read {book} in the bath until the water went cold.
        Early night with {book}.
        Ended up watching {show} until far too late.
        Phone off at nine, which felt like an achievement, then {book} until eleven.
        {chore}, then {show}. Riveting.
        Half an hour of {show} and half an hour of arguing about it.
        Started {book} and couldn't put it down.
    """,
    ),
    _topic(
        "chores",
        "Home",
        """
        Spent the morning on jobs: {chore}, and then {chore} for good measure.
        Finally {chore}, which I'd been putting off since the spring.
        {errand} {when}, then {chore}.
        Jude {chore} while I {chore}; a very romantic Saturday.
        The landlord's man came about the damp and said 'it's an old house' three times.
    """,
    ),
    _topic(
        "jude",
        "Jude",
        """
        Jude read bits of the paper out to me in a newsreader's voice.
        Jude and I argued about whose turn it was to clean the bathroom; Jude won.
        Jude was out at a meeting, so the house was very quiet and I ate {meal} on the sofa.
        Jude laughed at me for talking back to {show}.
        Jude has started doing the crossword in pen, which is showing off.
        A long walk {walk} with Jude, talking about {worry} and then about nothing.
        Jude brought me tea in bed, which means something is about to be asked of me.
        Jude is reading {book} and keeps sighing at it.
        Jude and I sat up late making a list of places we'd go if we had money.
    """,
        start=JUDE,
    ),
    _topic(
        "family",
        "Family",
        """
        Rang Mum; she talked for forty minutes about the neighbours' extension.
        Mum rang to tell me about {show}, which she thought I would like. I wouldn't.
        Ffion sent a long voice note about work, in which she sounded tired.
        Mum says her knees are bad but she's still doing aqua aerobics on Thursdays.
        Sent Mum a card for no reason. She rang to ask what was wrong.
        Ffion and I had a proper talk on the phone, about {worry}, like we used to.
        Mum has taken up jigsaws and sends me photos of the edges.
        Mum asked whether I'm eating properly. I said yes, and had {meal}.
    """,
    ),
    _topic(
        "kids",
        "Family",
        """
        Ffion sent photos of the children covered in paint.
        Gethin rang to tell me about a dinosaur, at length.
        Bought presents for the kids and wrapped them badly.
        Ffion says the children are growing faster than she can buy shoes.
        Video call with the kids, who mostly showed me the ceiling.
    """,
        start=NEPHEW,
    ),
    _topic(
        "choir",
        "Choir",
        """
        Choir on Wednesday; we're learning a South African song I can't pronounce.
        Bea brought lemon cake to choir and everyone sang better for it.
        The tenors were flat all night and the conductor pretended not to notice.
        Sang at the back of the hall with my eyes closed for the last song.
        Choir went to the pub after and sang in the garden until we were asked to stop.
        Choir learned a round about a cuckoo and couldn't stop laughing.
    """,
        start=CHOIR[0],
        end=CHOIR[1],
    ),
    _topic(
        "marcus",
        "Friends",
        """
        Out on the bikes with Marcus, up through Leigh Woods and back over the bridge.
        Marcus and I rode to Clevedon for chips and got rained on both ways.
        Marcus wants to do a sportive next summer and thinks I should too.
        Marcus came round with a bottle of something Belgian and stayed till one.
    """,
        end=MARCUS_NEAR,
    ),
    _topic(
        "marcus_away",
        "Friends",
        """
        Marcus rang from Edinburgh, full of plans as always.
        A postcard from Marcus with a picture of a very wet castle on it.
        Marcus sent me a route up some Scottish hill and the word 'soon?'.
    """,
        start=MARCUS_NEAR,
    ),
    _topic(
        "dog",
        "Pepper",
        """
        Took Pepper {walk}; she chased a squirrel with no hope at all.
        Pepper rolled in something dead and had a bath she will never forgive.
        Pepper barked at the postman, then at the bins, then at nothing.
        Pepper's annual jabs at the vet: she sat on my feet the whole time, shaking.
        Pepper slept on my feet all evening, snoring like an old man.
        Pepper stole a sock and did laps of the garden with it.
        Walked Pepper {when} in the drizzle; we were the only two out.
        Pepper met a cat {walk} and came off worst, with dignity.
        Pepper has learned where the treats are kept and sits by the drawer like a lawyer.
    """,
        start=PEPPER[0],
        end=PEPPER[1],
    ),
    _topic(
        "allotment",
        "The plot",
        """
        Up at the plot {when}, weeding until the light went.
        Dug over the far bed and found a horseshoe and a lot of broken glass.
        Watered the {veg} from the trough, two cans at a time.
        Mr Okoro gave me advice about {veg}, unasked, as usual.
        The slugs have had the {veg} again.
        Picked a carrier bag of {veg} and gave half of it away.
        Sat on an upturned bucket at the plot with a flask and did nothing for an hour.
        The {veg} are coming on; the {veg} are sulking.
        Turned the compost, which steamed like a horse.
    """,
        start=ALLOTMENT,
    ),
    _topic(
        "welsh",
        "Welsh",
        """
        Welsh homework at the kitchen table; the mutations are killing me.
        Rang Mum and tried five sentences in Welsh; she corrected four.
        Did twenty minutes of Welsh on the app {when}.
        Learned the Welsh for {veg}, which I will never need.
    """,
        start=WELSH,
    ),
    _topic(
        "lockdown",
        "Lockdown",
        """
        Another day at home, the same walk, the same four walls.
        Queued outside {shop} two metres apart, like a very polite prison.
        Clapped on the doorstep at eight with the rest of the street.
        A video call with Ffion and the kids; the signal kept freezing on their faces.
        Did a jigsaw of a Welsh castle; one piece missing, in the sky, obviously.
    """,
        start=LOCKDOWN[0],
        end=LOCKDOWN[1],
    ),
    _topic(
        "friends",
        "Friends",
        """
        Met {friend} for a coffee and talked for two hours.
        A message from {friend} out of the blue, which cheered me up no end.
        Pub quiz with {friend}; we came fourth out of six.
        Dinner with {friend}, who is thinking of changing jobs again.
        {friend} came round and we ate {meal} and put the world to rights.
    """,
    ),
    _topic(
        "health",
        "Body",
        """
        Slept badly and woke at four thinking about {worry}.
        {ailment} all afternoon that nothing would shift.
        Went to bed at nine and slept ten hours, which I clearly needed.
        Woke with {ailment}; I blame {worry}.
        Did some stretches from a video and felt eighty.
    """,
    ),
    _topic(
        "money",
        "Money",
        """
        Paid the council tax and the phone bill and felt very grown up.
        Did the budget for the month; it is tight but it adds up, just.
        A letter from the bank I didn't want to open. It was fine.
        Spent too much at {shop} and pretended it was an investment.
        Worked out what we spend on {meal}-type dinners and decided not to know.
    """,
    ),
    _topic(
        "news",
        "The world",
        """
        The radio was all {news} {when}, so I turned it off.
        Jude and I had a long, cross conversation about {news}.
        Read about {news} on my phone in bed, which I must stop doing.
    """,
    ),
    _topic(
        "reflection",
        "Thinking",
        """
        I keep thinking about {worry}.
        I would like to {wish}.
        Another ordinary day, which is not a complaint.
        Nothing much happened, and I am writing down that nothing much is fine.
        I'd like to {wish}; I say that every month.
        Felt oddly content {when} for no reason I could name.
    """,
    ),
)


@dataclass
class Entry:
    date: dt.date
    paragraphs: list[str]
    topic: Topic
    fact: Fact | None = None


@dataclass
class Archive:
    entries: list[Entry] = field(default_factory=list)
    questions: list[dict[str, object]] = field(default_factory=list)


def _era(date: dt.date) -> dict[str, tuple[str, ...]]:
    return {**WORDS, **(STROUD_WORDS if date >= STROUD else BRISTOL_WORDS)}


def _fill(template: str, date: dt.date, rng: random.Random) -> str:
    words = _era(date)
    text = re.sub(r"\{(\w+)\}", lambda m: rng.choice(words[m.group(1)]), template)
    return text[0].upper() + text[1:]


def _paragraph(topic: Topic, date: dt.date, rng: random.Random) -> str:
    count = min(len(topic.sentences), rng.randint(2, 4))
    return " ".join(_fill(s, date, rng) for s in rng.sample(topic.sentences, count))


def _topics(date: dt.date) -> list[Topic]:
    return [t for t in TOPICS if t.start <= date < t.end]


def _filler(date: dt.date, rng: random.Random, paragraphs: int) -> tuple[Topic, list[str]]:
    available = _topics(date)
    chosen = rng.sample(available, min(paragraphs, len(available)))
    topic = chosen[0] if chosen else rng.choice(available)  # names the file of an essay or note
    return topic, [_paragraph(t, date, rng) for t in chosen]


def _fact_date(fact: Fact, taken: set[dt.date], rng: random.Random) -> dt.date:
    first, last = fact.months
    days = [
        dt.date(fact.year, month, day)
        for month in range(first, last + 1)
        for day in range(1, calendar.monthrange(fact.year, month)[1] + 1)
    ]
    free = [d for d in days if d not in taken]
    return rng.choice(free)


def build(entries: int = ENTRIES, seed: int = SEED) -> Archive:
    """The entries and questions; deterministic in ``entries`` and ``seed``."""
    if entries < len(FACTS) * 2:
        raise ValueError(f"at least {len(FACTS) * 2} entries are needed for the planted facts")
    rng = random.Random(seed)
    archive = Archive()
    taken: set[dt.date] = set()
    by_fact: dict[str, dt.date] = {}
    for fact in FACTS:
        date = _fact_date(fact, taken, rng)
        taken.add(date)
        by_fact[fact.id] = date
        # An entry about an event mostly leads with it; now and then it comes after the
        # weather, as it does in a real diary.
        topic, paragraphs = _filler(date, rng, rng.randint(0, 2))
        paragraphs.insert(0 if rng.random() < 0.7 else len(paragraphs), fact.text)
        archive.entries.append(Entry(date, paragraphs, topic, fact))
    span = (LAST - FIRST).days + 1
    while len(archive.entries) < entries:
        date = FIRST + dt.timedelta(days=rng.randrange(span))
        if date in taken:
            continue
        taken.add(date)
        topic, paragraphs = _filler(date, rng, rng.randint(1, 3))
        archive.entries.append(Entry(date, paragraphs, topic))
    archive.entries.sort(key=lambda e: e.date)
    for fact in FACTS:
        if fact.question:
            archive.questions.append(
                {"id": fact.id, "q": fact.question, "gold": [by_fact[fact.id].isoformat()]}
            )
    for qid, question, fact_ids in MULTI:
        gold = sorted(by_fact[f].isoformat() for f in fact_ids)
        archive.questions.append({"id": qid, "q": question, "gold": gold})
    return archive


# -- files --------------------------------------------------------------------------------


def _long_date(date: dt.date) -> str:
    return f"{date:%A} {date.day} {date:%B %Y}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def _format(rng: random.Random) -> str:
    """Which kind of file holds an entry: journal (most), note, essay or logbook."""
    roll = rng.random()
    if roll < 0.55:
        return "journal"
    if roll < 0.80:
        return "note"
    if roll < 0.90:
        return "essay"
    return "logbook"


def render(archive: Archive, seed: int = SEED) -> dict[str, str]:
    """The archive's files: relative path -> text."""
    rng = random.Random(seed * 7919 + 1)
    files: dict[str, str] = {}
    journals: dict[int, list[str]] = defaultdict(list)
    logbooks: dict[int, list[str]] = defaultdict(list)
    for entry in archive.entries:
        body = "\n\n".join(entry.paragraphs)
        date = entry.date
        kind = _format(rng)
        if kind == "journal":
            heading = date.isoformat() if date.year % 2 == 0 else _long_date(date)
            journals[date.year].append(f"## {heading}\n\n{body}\n")
        elif kind == "logbook":
            logbooks[date.year].append(f"=== {date.day} {date:%B %Y} ===\n\n{body}\n")
        elif kind == "essay":
            title = f"{entry.topic.title}, {date:%B %Y}"
            tags = json.dumps([entry.topic.name])
            path = f"essays/{date.year}/{date.isoformat()}-{_slug(entry.topic.title)}.md"
            files[path] = f"---\ntitle: {title}\ndate: {date.isoformat()}\ntags: {tags}\n---\n\n"
            files[path] += f"{body}\n"
        else:
            style = rng.randrange(3)
            if style == 0:
                name = f"{date.isoformat()}.txt"
            elif style == 1:
                name = f"{date:%Y%m%d}.txt"
            else:
                name = f"{date.isoformat()} {entry.topic.title.lower()}.txt"
            files[f"notes/{date.year}/{name}"] = f"{body}\n"
    for year, parts in journals.items():
        files[f"journal/journal-{year}.md"] = f"# Journal {year}\n\n" + "\n".join(parts)
    for year, parts in logbooks.items():
        files[f"logbook/logbook-{year}.txt"] = "\n".join(parts)
    return dict(sorted(files.items()))


def questions_json(archive: Archive, entries: int, seed: int) -> str:
    data = {
        "about": "Questions about the archive bench/eval_archive.py generates (a pharmacist's "
        "writing, 2011-2024), each answered by planted entries named by date. Regenerate with "
        f"`python bench/eval_archive.py OUT_DIR --entries {entries} --seed {seed}`.",
        "generator": {"script": "bench/eval_archive.py", "entries": entries, "seed": seed},
        "questions": archive.questions,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write(out: Path, entries: int = ENTRIES, seed: int = SEED) -> tuple[int, int]:
    """Write ``out/archive/`` and ``out/questions.json``; returns (files, questions)."""
    archive = build(entries, seed)
    files = render(archive, seed)
    root = out / "archive"
    if root.exists():
        shutil.rmtree(root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        # A fixed mtime, so that the bytes and the file-time dates never vary between runs.
        stamp = dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
    (out / "questions.json").write_text(questions_json(archive, entries, seed), encoding="utf-8")
    return len(files), len(archive.questions)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write archive/ and questions.json to")
    parser.add_argument("--entries", type=int, default=ENTRIES, help="how many entries")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    files, questions = write(args.out, args.entries, args.seed)
    print(f"wrote {files} files, {args.entries} entries, {questions} questions to {args.out}")


if __name__ == "__main__":
    main()
