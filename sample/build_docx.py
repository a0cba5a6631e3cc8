"""Build the DOCX letters of the sample archive (part 2, 2019-2025).

The letters' text lives in this script. Run with the project's Python
(python-docx installed):

    python sample/build_docx.py

Output goes to sample/archive/letters/. The output is deterministic: the
core properties and every zip member's timestamp are set from the letter's
date, so rebuilding gives byte-identical files.
"""

import datetime
import io
import os
import zipfile

from docx import Document
from docx.shared import Pt

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "archive", "letters")

# (file name, date of the letter, title, paragraphs)
LETTERS = [
    (
        "2021-03-09 to Iris.docx",
        datetime.date(2021, 3, 9),
        "To Iris, on her first birthday",
        [
            "Dear Iris,",
            "You are one today. You are asleep upstairs as I write this, on your back with your arms flung up over your head like you've just scored a goal, which is how you have slept since the day you were born. Your dad says it's a sign of a clear conscience. I think you're just very pleased with yourself.",
            "I wanted to write some things down for you, because I know already that I'll forget them, and that you will never remember them at all, and it seems a shame for them to belong to nobody.",
            "You were born on a Monday morning, at 4.52, at the very beginning of a very strange year. Two weeks after you arrived, the whole country shut its doors. So for most of your first year you've only known three faces properly: mine, your dad's, and your grandma's, very close up, on a phone. You think everybody lives inside a phone. You kiss the screen when she rings.",
            "Things you love: the sea, which you call \"ba\", like everything else. The gulls, which you shout at. Bath time. Peas. The cardboard box the new kettle came in, which you prefer to every toy we have bought you. Being upside down. The song about the crocodile. Mr Harland next door, who waves at you over the wall with his cap.",
            "Things you hate: socks. The hoover. Having your face wiped, which you treat as a personal attack.",
            "This morning you had your first taste of cake, a tiny one I made with banana and no sugar because I read that you should, and you ate about a third of it and then very deliberately put the rest on the floor and looked at me to see what I'd do. I laughed. You laughed. Your dad filmed it. That's your birthday.",
            "I don't know what kind of world you'll grow up into. I worry about that more than I ought to, at four in the morning mostly. But I know this: you have been the best thing in the worst year, for us and for a lot of people who've only seen you in photographs. You have no idea how many people have been cheered up by a picture of you in a sun hat.",
            "I promise I'll try to be here. Not just in the house, but here, with you, paying attention. I'll get it wrong sometimes. Tell me when I do.",
            "Happy birthday, my love. One whole year. You're a person now.",
            "Mum x",
        ],
    ),
    (
        "to Dad.docx",
        datetime.date(2022, 11, 19),
        "To Dad",
        [
            "19 November 2022",
            "Dad,",
            "Five years this month. I'm writing this at the kitchen table at ten at night with a cup of tea going cold, which you would approve of, the tea anyway.",
            "I don't really know why I'm writing it. The counsellor I saw for a few months after Iris was born said it might help to write to you, and I said I'd think about it, and I've been thinking about it for two years. I'm not good at saying things either. I think you know where I get that from.",
            "So. News.",
            "You have a granddaughter. She's called Iris. She was born in March 2020, which was a terrible time to be born and she didn't seem to notice. She's two and a half now and she's got your chin, everyone says so, even Mum. She's got your way of frowning at a thing until it makes sense. She sits at the table drawing with her tongue out and doesn't hear a word anyone says to her, and I stood in the doorway last week watching her do it and had to go outside for a minute.",
            "I ran the Great North Run again in September. For the hospice. Two hours nine. I could hear you asking whether that was good. It was fine. It was good for me.",
            "The garden's doing well. The rosemary you asked about made it through. It's the size of a small sheep now.",
            "I've got a proper job with a pension, at an insurance company, and I think you'd have liked that I finally have a pension more than anything else about it. Sam's still teaching. He's good at it. He stands at the front and draws rivers on the board, and he talks to Iris about clouds like she's one of his Year 10s.",
            "What I want to say and didn't, in the hospice, and haven't since, is that I'm sorry I was angry with you for so long about the drawings. About the table, and the red pencil, and you being there and not there. I understand it better now. I've got a job that eats my evenings too, sometimes. I've got things I think about when I should be listening. It isn't that you didn't care. I know that. I think I always knew it, I just wanted it pointed at me.",
            "It's blowing a gale tonight. You'd have checked the sky before you went to bed and said it'll hold till morning. I checked. I think it will.",
            "Love you, Dad.",
            "Mara",
        ],
    ),
    (
        "2024-05-12 to Priya.docx",
        datetime.date(2024, 5, 12),
        "To Priya",
        [
            "Priya,",
            "I'm writing you a letter. An actual letter, on paper, well, typed and then printed on paper, because my handwriting has got so bad that even I can't read it. I'm going to put it in the post, with a stamp, like it's 1997. You'll get it on Wednesday, probably, and ring me to ask if somebody's died.",
            "Nobody's died. I just didn't want to say this on the phone, because I'd cry, and you'd have to be nice about it, and then we'd both pretend it was the line.",
            "Toronto. I'm so proud of you I could burst. I mean it. When you said the words \"editorial director\" on the phone I had to sit down on the stairs. The girl who copied my French homework in Year Nine is going to run a list at a publisher in Canada, and I'm going to tell everyone I meet about it until they ask me to stop.",
            "And I'm gutted. Both at once. I've been both all week.",
            "I know it's only a flight. I know people do this, everyone does this, we'll FaceTime, you'll come back at Christmas, I'll come out one summer. I know. But I keep thinking that for twenty-five years, even when we were bad at it, even the years we barely spoke, you were always within a day's train of me. If it all went wrong I could get on the 7.05 and be on your sofa by lunch. That's what's going, and I don't think I'd noticed how much I was leaning on it until now.",
            "I also want to say sorry. For the lockdown years, mostly. For being so far down inside Iris and the house and my own head that I didn't see what was happening with you and Dan until it had happened. You told me you'd tried to tell me, and you had, and I wasn't listening. I've thought about that a lot. I want to be better at this. Even from four thousand miles away. Especially from there.",
            "So here's my plan, which you're allowed to laugh at. A proper phone call, every other Sunday. Your lunchtime, my teatime. Not a voice note. Not a heart on a photo. A call, where we both sit down.",
            "Come and see us before you go. Iris wants to show you her snail collection (deceased). Sam will make his risotto. I'll take you up the cliff and we'll sit on Eileen's bench and I'll try very hard not to make it weird.",
            "Go and be brilliant. You always were.",
            "All my love,",
            "Mara x",
        ],
    ),
    (
        "Iris at five.docx",
        datetime.date(2025, 3, 9),
        "Iris at five",
        [
            "9 March 2025",
            "Dear Iris,",
            "You are five today, and you have informed me that five is \"basically grown up\" and that you should therefore be allowed to use the big knife. You may not use the big knife.",
            "I wrote to you when you were one. I've just read that letter again, and it made me laugh, because I said you hated socks, and you still hate socks, and this morning you went to your own party in one sock, a rainbow one, because you'd decided that was the fashion.",
            "Here is what you're like at five, so you'll know.",
            "You're in Sky Class with Mrs Okafor and your best friend is Ottilie, except on Tuesdays, when it's Zayn, for reasons that nobody has explained to me. You can read words like \"cat\" and \"dog\" and \"shop\" and you read every sign we drive past in a very loud voice, including the rude one on the back of the van at the garage, which I'm not going to write down.",
            "You want to be a vet, like your Auntie Kate, or a lighthouse keeper, or \"the lady at the swimming pool who blows the whistle\".",
            "You ask about forty questions a day, and about half of them I can't answer. Where does the sea go when it goes out? Do crabs have friends? Why was Grandad Graham dead before I was born? That last one came out on the beach in January, and I did my best, and you listened, and then you asked if he liked crabs, and I said I didn't know. I'm sorry I don't know. I've realised there's a lot about him I never asked.",
            "You're kind. That's the thing I most want you to know about yourself. When Ottilie fell over in the playground you sat with her until the dinner lady came, holding her hand, telling her it would be fine because \"blood is only red water\". Not strictly true. Very kind.",
            "I've not always been as here as I promised in that first letter. There was a spell, a couple of years ago, when work ate me up and I think you noticed before I did. I'm trying. I'm better at it, I think. You're very good at telling me when I'm not listening. You put both hands on my face and turn it towards you. Keep doing that.",
            "Happy birthday, love. Five whole years of you. The best five years I've had.",
            "Mum x",
        ],
    ),
    (
        "2025-08-30 to myself.docx",
        datetime.date(2025, 8, 30),
        "To myself, at thirty-seven",
        [
            "Dear Mara,",
            "Sam's idea. He read an article, obviously. He said write to yourself, the one you are now, and put it somewhere and read it in ten years. I said that's what a diary is. He said no, a diary's you talking to nobody, this is you talking to someone who can't answer back. Fine. Here you are, and you can't answer back.",
            "You're thirty-seven. It's the last Saturday of the summer holidays, warm and hazy, with a sea fret coming in and out all afternoon like someone who can't decide whether to stay for tea. Iris goes back to school on Wednesday, into Year One, and has already packed her book bag twice. Sam's on the beach with her now, building something they claim is a harbour.",
            "Work is fine. You've been at Northwind nearly six years, which you'd never have believed. There's talk of another reorganisation in the autumn. You're calmer about it than you'd have been. You log off at five most days. Most.",
            "Money is fine, just. The mortgage is heavier than it was. The car is old. The boiler is new. That's the balance of things at present.",
            "Mum is getting older and you ring her on Wednesdays and Sundays now, without fail. Some weeks she repeats a story she told you on the Sunday. You let her.",
            "Things you want to have done by the time you read this:",
            "Finished the book. I know. I know. But write it down anyway.",
            "Been to Toronto to see Priya. Actually gone, not just written it on the calendar in pencil.",
            "Learned the names of the birds in the hedge. You've been meaning to for eight years. You still call them all sparrows and some of them definitely aren't.",
            "Stopped checking your phone at the dinner table. You do it less than you did. You still do it.",
            "Things you hope you haven't lost: the morning walk down to check the sea. The back step at ten at night. The way Iris says \"Mummy, look\" about absolutely anything, a stone, a cloud, a crisp shaped like Wales.",
            "I don't know who'll be reading this. You, but not quite. I hope you're kind to me. I hope you still live here, by the sea, in this creaking house, with the gutter that has never been fixed.",
            "Get the gutter fixed.",
            "Love, me",
        ],
    ),
]

FIXED_TIME = (9, 0, 0)


def build(name, date, title, paragraphs):
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Georgia"
    style.font.size = Pt(11)
    for text in paragraphs:
        doc.add_paragraph(text)
    when = datetime.datetime(date.year, date.month, date.day, *FIXED_TIME)
    props = doc.core_properties
    props.author = "Mara Ellison"
    props.last_modified_by = "Mara Ellison"
    props.title = title
    props.subject = ""
    props.comments = ""
    props.keywords = "letter"
    props.category = ""
    props.revision = 1
    props.created = when
    props.modified = when
    props.last_printed = when

    raw = io.BytesIO()
    doc.save(raw)
    # Rewrite the zip with fixed timestamps so the bytes do not depend on
    # when the script ran.
    stamp = (date.year, date.month, date.day) + FIXED_TIME
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    path = os.path.join(OUT, name)
    with open(path, "wb") as fh:
        fh.write(out.getvalue())
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, date, title, paragraphs in LETTERS:
        print(build(name, date, title, paragraphs))


if __name__ == "__main__":
    main()
